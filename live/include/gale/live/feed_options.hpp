// Options of a live feed (gale::live::watch).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace gale::live {

struct FeedOptions {
  // Start after this position (an Event's, from either feed of the same collection or table); "":
  // from now. A position the database no longer has (or never had) starts the feed with a gap.
  std::string resume_after{};
  // MongoDB: an aggregation pipeline after $changeStream (a $match on operationType, ...).
  nlohmann::json pipeline = nlohmann::json::array();
  // MongoDB: how long one getMore waits for changes on the server (the change stream's
  // max_await_time). PostgreSQL: unused (the feed wakes on NOTIFY).
  std::chrono::milliseconds max_await_time{1000};
  // PostgreSQL: how long the feed waits for a NOTIFY before it reads the log anyway (the only
  // wake-up when the change log does not notify: ChangeLog::notify). MongoDB: unused.
  std::chrono::milliseconds poll_interval{1000};
  // How long the feed waits before it reconnects after an error, at first; doubled on each failure
  // in a row, up to max_retry_delay.
  std::chrono::milliseconds retry_delay{100};
  std::chrono::milliseconds max_retry_delay{5000};
};

}  // namespace gale::live
