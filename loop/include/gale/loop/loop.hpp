// Everything of the loop layer in one include.
#pragma once

#include "gale/loop/error.hpp"
#include "gale/loop/executor.hpp"
#include "gale/loop/fatal_error.hpp"
#include "gale/loop/fork_guard.hpp"
#include "gale/loop/future.hpp"
#include "gale/loop/gather.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/loop/log.hpp"
#include "gale/loop/periodic_callback.hpp"
#include "gale/loop/sleep.hpp"
#include "gale/loop/unique_function.hpp"
#include "gale/loop/with_timeout.hpp"
