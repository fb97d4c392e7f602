// Mixed CRUD traffic on the notes API for the fault tests: 8 clients, each request in turn a
// read of a known note, a create, a PATCH (unless the backend takes several operations for one)
// and a list, back to back until stopped. Every answer is kept with the phase of the test it
// started in (the test names phases as it changes the faults).
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"
#include "support/crud_process.hpp"
#include "support/json_request.hpp"

namespace fault {

using gale::Clock;

struct Sample {
  std::string phase;
  std::string op;
  int status = 0;        // 0: no answer within 30 s
  bool envelope = true;  // an error answer was in the JSON envelope
  Clock::time_point start, end;
  std::string detail;
};

class Traffic {
 public:
  static constexpr int kClients = 8;

  Traffic(gale::testing::CrudProcess& app, std::vector<std::string> ids, bool patches)
      : app_(app), ids_(std::move(ids)), patches_(patches) {}

  void start() {
    for (int i = 0; i < kClients; ++i) running_.push_back(client(i));
  }
  gale::Future<void> stop() {
    stopped_ = true;
    co_await gale::gather(std::move(running_));
  }
  void phase(std::string name) { phase_ = std::move(name); }
  const std::vector<Sample>& samples() const noexcept { return samples_; }
  // When the first 2xx of a request started after `t` came (max() if none).
  Clock::time_point first_success_after(Clock::time_point t) const {
    auto first = Clock::time_point::max();
    for (const auto& s : samples_) {
      if (s.status / 100 == 2 && s.start >= t) first = std::min(first, s.end);
    }
    return first;
  }

 private:
  // The i-th request: what it is and the request itself.
  std::pair<std::string, gale::web::HTTPRequest> request(long i) const {
    using nlohmann::json;
    const std::string& id = ids_[static_cast<std::size_t>(i) % ids_.size()];
    switch (i % 4 == 2 && !patches_ ? 0 : i % 4) {
      case 0:
        return {"GET", with_url(gale::testing::json_request("GET"), "/notes/" + id)};
      case 1:
        return {
            "POST",
            with_url(gale::testing::json_request(
                         "POST", json{{"slug", "traffic-" + std::to_string(i)}, {"title", "t"}}),
                     "/notes")};
      case 2:
        return {"PATCH", with_url(gale::testing::json_request("PATCH", json{{"done", i % 8 == 2}}),
                                  "/notes/" + id)};
      default:
        return {"LIST", with_url(gale::testing::json_request("GET"), "/notes?limit=10")};
    }
  }
  gale::web::HTTPRequest with_url(gale::web::HTTPRequest r, const std::string& path) const {
    r.url = app_.url(path);
    r.request_timeout = std::chrono::seconds(30);
    return r;
  }

  gale::Future<void> client(int n) {
    for (long i = n; !stopped_; i += kClients) {
      auto [op, r] = request(i);
      Sample s{phase_, op, 0, true, Clock::now(), {}, {}};
      try {
        auto response = co_await gale::web::fetch(std::move(r));
        s.status = response.code;
        if (response.code >= 400) {
          s.envelope = gale::testing::is_error_envelope(response);
          s.detail = response.body;
        }
      } catch (const std::exception& e) {
        s.detail = e.what();
      }
      s.end = Clock::now();
      samples_.push_back(std::move(s));
    }
  }

  gale::testing::CrudProcess& app_;
  std::vector<std::string> ids_;
  bool patches_;
  std::string phase_ = "clean";
  bool stopped_ = false;
  std::vector<gale::Future<void>> running_;
  std::vector<Sample> samples_;
};

}  // namespace fault
