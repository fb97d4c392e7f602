// Options: command-line flags and GALE_* environment variables, like tornado.options, with CLI11.
//
//   gale::web::Options options("notes API");
//   std::string greeting = "hello";
//   options.define("--greeting", greeting, "what to say");   // also GALE_GREETING
//   options.parse(argc, argv);            // --help prints the options and exits
//   app.listen(options.port, options.address);
//
// Built in: --port (GALE_PORT, 8888), --address (GALE_ADDRESS, 0.0.0.0), --workers (GALE_WORKERS,
// 1; 0 = one per core), --debug (GALE_DEBUG), --mongo-uri (GALE_MONGO_URI), --pg-uri
// (GALE_PG_URI), --log-level (GALE_LOG_LEVEL). A flag given on the command line wins over the
// environment.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "gale/web/settings.hpp"

namespace gale::web {

class Options {
 public:
  explicit Options(std::string description = "a gale application");

  std::uint16_t port = 8888;
  std::string address = "0.0.0.0";
  int workers = 1;
  bool debug = false;
  std::string mongo_uri;
  std::string pg_uri;
  std::string log_level;

  // Adds an option of your own; its environment variable is GALE_ + the name in upper case with
  // '-' as '_' (--page-size: GALE_PAGE_SIZE).
  template <class T>
  CLI::Option* define(const std::string& flag, T& value, const std::string& help) {
    return cli_.add_option(flag, value, help)->envname(env_name(flag))->capture_default_str();
  }

  // Parses; on --help prints the usage and exits 0, on a bad option prints why and exits 2.
  void parse(int argc, const char* const* argv);
  // Like parse, but throws gale::Error(invalid_argument) instead of exiting (--help included).
  void parse_or_throw(int argc, const char* const* argv);

  // Settings with the options applied (debug), on top of `base`.
  Settings settings(Settings base = {}) const;

  CLI::App& cli() noexcept { return cli_; }
  static std::string env_name(const std::string& flag);

 private:
  CLI::App cli_;
};

}  // namespace gale::web
