// Everything of the MongoDB driver: #include <gale/mongo/mongo.hpp>.
#pragma once

#include "gale/mongo/change_stream.hpp"
#include "gale/mongo/client.hpp"
#include "gale/mongo/collection.hpp"
#include "gale/mongo/cursor.hpp"
#include "gale/mongo/database.hpp"
#include "gale/mongo/document.hpp"
#include "gale/mongo/error.hpp"
#include "gale/mongo/options.hpp"
#include "gale/mongo/results.hpp"
#include "gale/mongo/settings.hpp"
