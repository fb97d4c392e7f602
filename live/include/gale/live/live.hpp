// Everything of the live layer in one include: Feed and Event, watch() on a MongoDB collection or
// a PostgreSQL table (with its change log), and Relay.
#pragma once

#include "gale/live/change_log.hpp"
#include "gale/live/event.hpp"
#include "gale/live/feed.hpp"
#include "gale/live/mongo_feed.hpp"
#include "gale/live/pg_feed.hpp"
#include "gale/live/relay.hpp"
