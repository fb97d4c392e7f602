#include "gale/web/options.hpp"

#include <cctype>
#include <cstdlib>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"

namespace gale::web {

std::string Options::env_name(const std::string& flag) {
  std::string name = flag.substr(0, flag.find(','));
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  std::string out = "GALE_";
  for (char c : name) {
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

Options::Options(std::string description) : cli_(std::move(description)) {
  define("--port", port, "the port to listen on");
  define("--address", address, "the address to listen on");
  define("--workers", workers, "worker processes (0: one per core)")->check(CLI::Range(0, 1024));
  cli_.add_flag("--debug", debug, "error responses carry exception details")->envname("GALE_DEBUG");
  define("--mongo-uri", mongo_uri, "MongoDB connection string");
  define("--pg-uri", pg_uri, "PostgreSQL connection string");
  define("--log-level", log_level, "debug, info, warning, error or off");
}

void Options::parse_or_throw(int argc, const char* const* argv) {
  try {
    cli_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    throw Error(ErrorKind::invalid_argument, std::string("options: ") + e.what());
  }
  if (!log_level.empty()) log::set_level(log::parse_level(log_level));
}

void Options::parse(int argc, const char* const* argv) {
  try {
    cli_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(cli_.exit(e));
  }
  if (!log_level.empty()) log::set_level(log::parse_level(log_level));
}

Settings Options::settings(Settings base) const {
  base.debug = base.debug || debug;
  return base;
}

}  // namespace gale::web
