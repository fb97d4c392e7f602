// Everything of the web layer in one include, and the loop's (Future, gather, with_timeout, sleep,
// log, Error), which every handler uses. <gale/gale.hpp> brings the drivers too.
#pragma once

#include "gale/loop/loop.hpp"
#include "gale/web/application.hpp"
#include "gale/web/broadcast.hpp"
#include "gale/web/event_stream.hpp"
#include "gale/web/headers.hpp"
#include "gale/web/http_client.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/http_server.hpp"
#include "gale/web/json_body.hpp"
#include "gale/web/json_fields.hpp"
#include "gale/web/json_type.hpp"
#include "gale/web/metrics.hpp"
#include "gale/web/options.hpp"
#include "gale/web/request.hpp"
#include "gale/web/request_handler.hpp"
#include "gale/web/router.hpp"
#include "gale/web/settings.hpp"
#include "gale/web/status.hpp"
#include "gale/web/validation_error.hpp"
#include "gale/web/websocket.hpp"
