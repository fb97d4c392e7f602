// Everything of the PostgreSQL driver in one include.
#pragma once

#include "gale/pg/client.hpp"
#include "gale/pg/client_options.hpp"
#include "gale/pg/copy.hpp"
#include "gale/pg/error.hpp"
#include "gale/pg/listener.hpp"
#include "gale/pg/notification.hpp"
#include "gale/pg/params.hpp"
#include "gale/pg/result.hpp"
#include "gale/pg/transaction.hpp"
