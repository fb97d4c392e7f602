// Every layer of gale in one include: the loop (IOLoop, Future, gather, with_timeout, sleep, log,
// Error), the connection pool's stats, the PostgreSQL and MongoDB drivers the web layer and the live layer. Each
// layer has its own umbrella too: <gale/loop/loop.hpp>, <gale/pg/pg.hpp>, <gale/mongo/mongo.hpp>,
// <gale/web/web.hpp> (which brings the loop's as well).
#pragma once

#include "gale/live/live.hpp"
#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "gale/pool/pool_stats.hpp"
#include "gale/web/web.hpp"
