#include "gale/web/options.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gale/loop/error.hpp"
#include "gale/loop/fatal_error.hpp"
#include "gale/loop/log.hpp"

namespace gale::web {
namespace {

// The first line of `path` (a URI file), without its line end.
std::string read_uri_file(const std::string& path, const char* option) {
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorKind::invalid_argument, std::string(option) + ": cannot read " + path);
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty())
    throw Error(ErrorKind::invalid_argument, std::string(option) + ": " + path + " is empty");
  return line;
}

// Whether a connection string carries a password ("user:secret@" or "password=").
bool has_password(const std::string& uri) {
  auto scheme = uri.find("://");
  if (scheme != std::string::npos) {
    auto at = uri.find('@', scheme + 3);
    auto colon = uri.find(':', scheme + 3);
    if (at != std::string::npos && colon < at) return true;
  }
  return uri.find("password=") != std::string::npos;
}

// Whether `flag` was given on the command line (CLI11 counts values from the environment too).
bool on_command_line(int argc, const char* const* argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == flag || (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '=')) {
      return true;
    }
  }
  return false;
}

void warn_password_in_argv(int argc, const char* const* argv, const char* flag,
                           const std::string& uri) {
  if (on_command_line(argc, argv, flag) && has_password(uri)) {
    log::warning("gale.options",
                 "{} carries a password on the command line, where ps shows it: pass it in {} "
                 "or {}-file instead",
                 flag, Options::env_name(flag), flag);
  }
}

// --sni-cert's "cert.pem:key.pem".
TLSCertificate sni_certificate(const std::string& pair) {
  auto colon = pair.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) {
    throw Error(ErrorKind::invalid_argument, "--sni-cert: " + pair + " is not CERT:KEY");
  }
  return {pair.substr(0, colon), pair.substr(colon + 1)};
}

}  // namespace

std::string Options::env_name(const std::string& flag) {
  std::string name = flag.substr(0, flag.find(','));
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  std::string out = "GALE_";
  for (char c : name) {
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

template <class T>
CLI::Option* Options::define_as(const std::string& flag, T& value, const std::string& help) {
  return cli_->add_option(flag, value, help)->envname(env_name(flag))->capture_default_str();
}

// The types define() takes without CLI11 in the caller's file.
CLI::Option* Options::define(const std::string& flag, bool& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, int& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, long& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, long long& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, unsigned short& value,
                             const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, unsigned& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, unsigned long& value,
                             const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, unsigned long long& value,
                             const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, double& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, std::string& value, const std::string& help) {
  return define_as(flag, value, help);
}
CLI::Option* Options::define(const std::string& flag, std::vector<std::string>& value,
                             const std::string& help) {
  return define_as(flag, value, help);
}

Options::Options() : Options("a gale application") {}

Options::~Options() = default;

Options::Options(std::string description)
    : cli_(std::make_unique<CLI::App>(std::move(description))) {
  exit_on_uncaught_error();
  define("--port", port, "the port to listen on");
  define("--address", address, "the address to listen on");
  define("--workers", workers, "worker processes (0: one per core)")->check(CLI::Range(0, 1024));
  cli_->add_flag("--debug", debug, "error responses carry exception details")
      ->envname("GALE_DEBUG");
  define("--mongo-uri", mongo_uri,
         "MongoDB connection string (a password here shows in ps: prefer GALE_MONGO_URI or "
         "--mongo-uri-file)");
  define("--mongo-uri-file", mongo_uri_file_, "a file whose first line is the MongoDB URI");
  define("--pg-uri", pg_uri,
         "PostgreSQL connection string (a password here shows in ps: prefer GALE_PG_URI or "
         "--pg-uri-file)");
  define("--pg-uri-file", pg_uri_file_, "a file whose first line is the PostgreSQL URI");
  define("--log-level", log_level, "debug, info, warning, error or off");
  define("--openapi-out", openapi_out,
         "write the application's OpenAPI document to this file and exit (openapi.hpp)");
  define("--certfile", certfile, "HTTPS: the server's certificate chain (PEM)");
  define("--keyfile", keyfile, "HTTPS: the certificate's private key (PEM)");
  define("--sni-cert", sni_certificates,
         "HTTPS: CERT:KEY, one more certificate (PEM files) picked by the client's server name");
  define("--client-ca", client_ca, "HTTPS: the CAs of client certificates (PEM)");
  define("--client-certificates", client_certificates, "HTTPS: none, optional or required")
      ->check(CLI::IsMember({"none", "optional", "required"}));
}

void Options::apply(int argc, const char* const* argv) {
  for (const std::string& pair : sni_certificates) sni_certificate(pair);  // checked at parse
  if (!mongo_uri_file_.empty()) mongo_uri = read_uri_file(mongo_uri_file_, "--mongo-uri-file");
  if (!pg_uri_file_.empty()) pg_uri = read_uri_file(pg_uri_file_, "--pg-uri-file");
  if (!log_level.empty()) log::set_level(log::parse_level(log_level));
  warn_password_in_argv(argc, argv, "--mongo-uri", mongo_uri);
  warn_password_in_argv(argc, argv, "--pg-uri", pg_uri);
}

void Options::parse_or_throw(int argc, const char* const* argv) {
  if (argc > 0) program_ = argv[0];
  try {
    cli_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    throw Error(ErrorKind::invalid_argument, std::string("options: ") + e.what());
  }
  apply(argc, argv);
}

void Options::parse(int argc, const char* const* argv) {
  if (argc > 0) program_ = argv[0];
  try {
    cli_->parse(argc, argv);
    apply(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    std::exit(cli_->exit(e));
  } catch (const CLI::ParseError& e) {
    usage_error(e.what());
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), e.what());
    std::exit(kExitUsage);
  }
}

void Options::usage_error(const std::string& message) const {
  std::fprintf(stderr, "%s: %s (see --help)\n", program_.c_str(), message.c_str());
  std::exit(kExitUsage);
}

Settings Options::settings() const {
  return settings(Settings());
}

Settings Options::settings(Settings base) const {
  base.debug = base.debug || debug;
  if (!certfile.empty()) base.tls.certfile = certfile;
  if (!keyfile.empty()) base.tls.keyfile = keyfile;
  for (const std::string& pair : sni_certificates) {
    base.tls.sni_certificates.push_back(sni_certificate(pair));
  }
  if (!client_ca.empty()) base.tls.client_ca = client_ca;
  if (client_certificates == "optional")
    base.tls.client_certificates = ClientCertificates::optional;
  if (client_certificates == "required")
    base.tls.client_certificates = ClientCertificates::required;
  return base;
}

}  // namespace gale::web
