#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gale/loop/error.hpp"
#include "gale/web/options.hpp"
#include "support/log_capture.hpp"

using gale::web::Options;

TEST_CASE("Options come from the command line, then GALE_* variables, then defaults", "[options]") {
  {
    Options o;
    const char* argv[] = {"app"};
    o.parse_or_throw(1, argv);
    CHECK(o.port == 8888);
    CHECK(o.address == "0.0.0.0");
    CHECK(o.workers == 1);
    CHECK(!o.debug);
  }
  setenv("GALE_PORT", "9001", 1);
  setenv("GALE_PG_URI", "postgresql://app@127.0.0.1/app", 1);
  setenv("GALE_DEBUG", "1", 1);
  {
    Options o;
    int page_size = 20;
    o.define("--page-size", page_size, "items per page");
    setenv("GALE_PAGE_SIZE", "50", 1);
    const char* argv[] = {"app", "--workers", "4", "--mongo-uri", "mongodb://127.0.0.1:27017"};
    o.parse_or_throw(5, argv);
    CHECK(o.port == 9001);
    CHECK(o.workers == 4);
    CHECK(o.mongo_uri == "mongodb://127.0.0.1:27017");
    CHECK(o.pg_uri == "postgresql://app@127.0.0.1/app");
    CHECK(o.debug);
    CHECK(o.settings().debug);
    CHECK(page_size == 50);
  }
  {
    Options o;
    const char* argv[] = {"app", "--port", "7000"};
    o.parse_or_throw(3, argv);
    CHECK(o.port == 7000);  // the command line wins
  }
  unsetenv("GALE_PORT");
  unsetenv("GALE_PG_URI");
  unsetenv("GALE_DEBUG");
  unsetenv("GALE_PAGE_SIZE");
}

TEST_CASE("Options define the common types without CLI11, and any other type with it",
          "[options]") {
  Options o;
  bool verbose = false;
  long long limit = 0;
  unsigned short shard = 0;
  std::size_t batch = 0;
  double ratio = 0;
  std::string name;
  std::vector<std::string> tags;
  float scale = 1.0f;  // not one of define()'s own types: CLI11's, through the template
  o.define("--verbose", verbose, "talk more");
  o.define("--limit", limit, "a limit");
  o.define("--shard", shard, "a shard")->check(CLI::Range(0, 9));
  o.define("--batch", batch, "a batch size");
  o.define("--ratio", ratio, "a ratio");
  o.define("--name", name, "a name");
  o.define("--tag", tags, "tags");
  o.define("--scale", scale, "a scale");
  const char* argv[] = {"app",     "--verbose", "true",    "--limit", "-5000000000",
                        "--shard", "7",         "--batch", "64",      "--ratio",
                        "0.25",    "--name",    "n1",      "--tag",   "a",
                        "--tag",   "b",         "--scale", "1.5"};
  o.parse_or_throw(19, argv);
  CHECK(verbose);
  CHECK(limit == -5000000000LL);
  CHECK(shard == 7);
  CHECK(batch == 64);
  CHECK(ratio == 0.25);
  CHECK(name == "n1");
  CHECK(tags == std::vector<std::string>{"a", "b"});
  CHECK(scale == 1.5f);
  Options checked;
  unsigned short out_of_range = 0;
  checked.define("--shard", out_of_range, "a shard")->check(CLI::Range(0, 9));
  const char* bad[] = {"app", "--shard", "12"};
  CHECK_THROWS_AS(checked.parse_or_throw(3, bad), gale::Error);
}

TEST_CASE("Options refuse bad values with a clear error", "[options]") {
  Options o;
  const char* bad_port[] = {"app", "--port", "http"};
  CHECK_THROWS_AS(o.parse_or_throw(3, bad_port), gale::Error);
  Options o2;
  const char* unknown[] = {"app", "--colour", "blue"};
  CHECK_THROWS_AS(o2.parse_or_throw(3, unknown), gale::Error);
  Options o3;
  const char* negative[] = {"app", "--workers", "-2"};
  CHECK_THROWS_AS(o3.parse_or_throw(3, negative), gale::Error);
  CHECK(Options::env_name("--page-size") == "GALE_PAGE_SIZE");
}

TEST_CASE("A URI can come from a file, and one with a password on the command line is warned of",
          "[options][newuser]") {
  auto path = std::filesystem::temp_directory_path() / "gale-options-pg-uri";
  std::ofstream(path) << "postgresql://app:s3cret@127.0.0.1/app\n";
  {
    gale::testing::LogCapture logs;
    Options o;
    std::string flag = path.string();
    const char* argv[] = {"app", "--pg-uri-file", flag.c_str()};
    o.parse_or_throw(3, argv);
    CHECK(o.pg_uri == "postgresql://app:s3cret@127.0.0.1/app");  // the line end is not kept
    CHECK(!logs.contains("password"));
  }
  {
    gale::testing::LogCapture logs;
    Options o;
    const char* argv[] = {"app", "--pg-uri", "postgresql://app:s3cret@127.0.0.1/app"};
    o.parse_or_throw(3, argv);
    CHECK(logs.contains("--pg-uri carries a password on the command line",
                        gale::log::Level::warning));
    CHECK(!logs.contains("s3cret"));
  }
  {
    gale::testing::LogCapture logs;
    setenv("GALE_MONGO_URI", "mongodb://app:s3cret@127.0.0.1/app", 1);
    Options o;
    const char* argv[] = {"app"};
    o.parse_or_throw(1, argv);
    unsetenv("GALE_MONGO_URI");
    CHECK(o.mongo_uri == "mongodb://app:s3cret@127.0.0.1/app");
    CHECK(!logs.contains("password"));  // from the environment: nothing to warn of
  }
  Options missing;
  const char* argv[] = {"app", "--mongo-uri-file", "/nonexistent/gale-uri"};
  CHECK_THROWS_AS(missing.parse_or_throw(3, argv), gale::Error);
  std::filesystem::remove(path);
  // --help says where a password belongs.
  Options help;
  CHECK_THAT(help.cli().help(), Catch::Contains("--pg-uri-file") && Catch::Contains("ps"));
}
