// Options: command-line flags and GALE_* environment variables, like tornado.options, with CLI11.
//
//   gale::web::Options options("notes API");
//   std::string greeting = "hello";
//   options.define("--greeting", greeting, "what to say");   // also GALE_GREETING
//   options.parse(argc, argv);            // --help prints the options and exits 0
//   app.listen(options);                  // --port, --address and --workers
//
// Built in: --port (GALE_PORT, 8888), --address (GALE_ADDRESS, 0.0.0.0), --workers (GALE_WORKERS,
// 1; 0 = one per core), --debug (GALE_DEBUG), --mongo-uri (GALE_MONGO_URI), --pg-uri
// (GALE_PG_URI), --mongo-uri-file and --pg-uri-file (GALE_MONGO_URI_FILE, GALE_PG_URI_FILE: the
// URI read from a file, so that a password stays out of `ps`), --log-level (GALE_LOG_LEVEL),
// --openapi-out (GALE_OPENAPI_OUT: the OpenAPI document written to a file, openapi.hpp). A
// flag given on the command line wins over the environment.
//
// HTTPS (settings().tls, tls_settings.hpp): --certfile and --keyfile (PEM), --sni-cert CERT:KEY
// (repeatable: more certificates picked by the client's server name), --client-ca (PEM of the CAs
// of client certificates) and --client-certificates (none, optional or required).
//
// Constructing Options also installs gale's handler for uncaught gale::Errors (fatal_error.hpp):
// a start-up failure ends with one log line and a documented exit code.
//
// CLI11 stays out of this header (it costs each file that includes it seconds of compile time):
// define() takes the common types as they are; to chain a check (->check(CLI::Range(1, 100))),
// to define an option of another type, or to use cli(), include <CLI/CLI.hpp> as well.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gale/web/settings.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace gale::web {

class Options {
 public:
  Options();
  explicit Options(std::string description);
  ~Options();
  // The options hold the addresses of the members they fill: an Options stays where it is made.
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;

  std::uint16_t port = 8888;
  std::string address = "0.0.0.0";
  int workers = 1;
  bool debug = false;
  std::string mongo_uri;
  std::string pg_uri;
  std::string log_level;
  std::string openapi_out;  // --openapi-out: Application::listen writes the document there, exits 0
  std::string certfile;
  std::string keyfile;
  std::vector<std::string> sni_certificates;  // "cert.pem:key.pem"
  std::string client_ca;
  std::string client_certificates = "none";

  // Adds an option of your own; its environment variable is GALE_ + the name in upper case with
  // '-' as '_' (--page-size: GALE_PAGE_SIZE). The returned option is CLI11's.
  CLI::Option* define(const std::string& flag, bool& value, const std::string& help);
  CLI::Option* define(const std::string& flag, int& value, const std::string& help);
  CLI::Option* define(const std::string& flag, long& value, const std::string& help);
  CLI::Option* define(const std::string& flag, long long& value, const std::string& help);
  CLI::Option* define(const std::string& flag, unsigned short& value, const std::string& help);
  CLI::Option* define(const std::string& flag, unsigned& value, const std::string& help);
  CLI::Option* define(const std::string& flag, unsigned long& value, const std::string& help);
  CLI::Option* define(const std::string& flag, unsigned long long& value, const std::string& help);
  CLI::Option* define(const std::string& flag, double& value, const std::string& help);
  CLI::Option* define(const std::string& flag, std::string& value, const std::string& help);
  CLI::Option* define(const std::string& flag, std::vector<std::string>& value,
                      const std::string& help);
  // Any other type CLI11 can read; needs <CLI/CLI.hpp> included (App stays CLI::App).
  template <class T, class App = CLI::App>
  CLI::Option* define(const std::string& flag, T& value, const std::string& help) {
    App& app = *cli_;
    auto* option = app.add_option(flag, value, help);  // this type needs <CLI/CLI.hpp> included
    return option->envname(env_name(flag))->capture_default_str();
  }

  // Parses; on --help prints the usage and exits 0, on a bad option prints one line saying why
  // and exits 2 (kExitUsage).
  void parse(int argc, const char* const* argv);
  // Like parse, but throws gale::Error(invalid_argument) instead of exiting (--help included).
  void parse_or_throw(int argc, const char* const* argv);
  // For checks of your own after parse (a URI that is required, two options that exclude each
  // other): prints "<program>: <message> (see --help)" and exits 2, as a bad option does.
  [[noreturn]] void usage_error(const std::string& message) const;

  // Settings with the options applied (debug), on top of `base` (default Settings when none).
  Settings settings() const;
  Settings settings(Settings base) const;

  // CLI11's App, for what define() does not cover; needs <CLI/CLI.hpp>.
  CLI::App& cli() noexcept { return *cli_; }
  static std::string env_name(const std::string& flag);

 private:
  void apply(int argc, const char* const* argv);

  template <class T>
  CLI::Option* define_as(const std::string& flag, T& value, const std::string& help);

  std::unique_ptr<CLI::App> cli_;
  std::string program_ = "gale";
  std::string mongo_uri_file_;
  std::string pg_uri_file_;
};

}  // namespace gale::web
