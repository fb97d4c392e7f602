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
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "gale/web/settings.hpp"

namespace gale::web {

class Options {
 public:
  Options();
  explicit Options(std::string description);

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
  // '-' as '_' (--page-size: GALE_PAGE_SIZE).
  template <class T>
  CLI::Option* define(const std::string& flag, T& value, const std::string& help) {
    return cli_.add_option(flag, value, help)->envname(env_name(flag))->capture_default_str();
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

  CLI::App& cli() noexcept { return cli_; }
  static std::string env_name(const std::string& flag);

 private:
  void apply(int argc, const char* const* argv);

  CLI::App cli_;
  std::string program_ = "gale";
  std::string mongo_uri_file_;
  std::string pg_uri_file_;
};

}  // namespace gale::web
