// The names of the driver's enumerations, both ways: server and topology types (the SDAM spec's
// names) and read preference modes (as URIs spell them, and as libmongoc hands them over).
#include <catch2/catch.hpp>

#include <cctype>
#include <cstddef>
#include <iterator>
#include <string>

#include "gale/loop/error.hpp"
#include "gale/mongo/server_description.hpp"
#include "gale/mongo/settings.hpp"
#include "gale/mongo/topology_description.hpp"

using namespace gale::mongo;
using gale::ErrorKind;

namespace {

template <class Parse>
void check_refused(Parse parse, std::string_view name) {
  CAPTURE(name);
  try {
    parse(name);
    FAIL("parsed");
  } catch (const gale::Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
  }
}

}  // namespace

TEST_CASE("server types by their spec names, both ways", "[mongo]") {
  // Written out here, apart from the driver's table, so that a changed name fails.
  const struct {
    ServerType type;
    const char* name;
  } types[] = {
      {ServerType::unknown, "Unknown"},      {ServerType::standalone, "Standalone"},
      {ServerType::mongos, "Mongos"},        {ServerType::possible_primary, "PossiblePrimary"},
      {ServerType::rs_primary, "RSPrimary"}, {ServerType::rs_secondary, "RSSecondary"},
      {ServerType::rs_arbiter, "RSArbiter"}, {ServerType::rs_other, "RSOther"},
      {ServerType::rs_ghost, "RSGhost"},     {ServerType::load_balancer, "LoadBalancer"},
  };
  STATIC_REQUIRE(std::size(types) == static_cast<std::size_t>(ServerType::load_balancer) + 1);
  for (const auto& t : types) {
    CAPTURE(t.name);
    CHECK(to_string(t.type) == t.name);
    CHECK(parse_server_type(t.name) == t.type);
    CHECK(parse_server_type(to_string(t.type)) == t.type);
  }
  // Case matters, as before; so do the exact words.
  for (const char* name : {"", "unknown", "RSPRIMARY", "rs_primary", "Primary", "RSPrimary "}) {
    check_refused(parse_server_type, name);
  }
  CHECK(to_string(static_cast<ServerType>(99)) == "Unknown");
}

TEST_CASE("topology types by their spec names, both ways", "[mongo]") {
  const struct {
    TopologyType type;
    const char* name;
  } types[] = {
      {TopologyType::unknown, "Unknown"},
      {TopologyType::single, "Single"},
      {TopologyType::sharded, "Sharded"},
      {TopologyType::replica_set_no_primary, "ReplicaSetNoPrimary"},
      {TopologyType::replica_set_with_primary, "ReplicaSetWithPrimary"},
      {TopologyType::load_balanced, "LoadBalanced"},
  };
  STATIC_REQUIRE(std::size(types) == static_cast<std::size_t>(TopologyType::load_balanced) + 1);
  for (const auto& t : types) {
    CAPTURE(t.name);
    CHECK(to_string(t.type) == t.name);
    CHECK(parse_topology_type(t.name) == t.type);
    CHECK(parse_topology_type(to_string(t.type)) == t.type);
  }
  for (const char* name : {"", "single", "ReplicaSet", "LoadBalancer", "Sharded!"}) {
    check_refused(parse_topology_type, name);
  }
  CHECK(to_string(static_cast<TopologyType>(99)) == "Unknown");
}

TEST_CASE("read preference modes by name (any case) and from libmongoc, both ways", "[mongo]") {
  const struct {
    ReadMode mode;
    const char* name;
  } modes[] = {
      {ReadMode::primary, "primary"},     {ReadMode::primary_preferred, "primaryPreferred"},
      {ReadMode::secondary, "secondary"}, {ReadMode::secondary_preferred, "secondaryPreferred"},
      {ReadMode::nearest, "nearest"},
  };
  STATIC_REQUIRE(std::size(modes) == static_cast<std::size_t>(ReadMode::nearest) + 1);
  for (const auto& m : modes) {
    CAPTURE(m.name);
    CHECK(to_string(m.mode) == m.name);
    CHECK(parse_read_mode(m.name) == m.mode);
    CHECK(parse_read_mode(to_string(m.mode)) == m.mode);
    std::string upper(m.name);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(parse_read_mode(upper) == m.mode);
    // Through a URI: libmongoc parses the option, its mode comes back as ours.
    CHECK(parse_uri(std::string("mongodb://h/?readPreference=") + m.name).read_preference.mode ==
          m.mode);
  }
  CHECK(parse_uri("mongodb://h/").read_preference.mode == ReadMode::primary);
  for (const char* name : {"", "primary_preferred", "secondaries", "nearest ", "any"}) {
    check_refused(parse_read_mode, name);
  }
  CHECK(to_string(static_cast<ReadMode>(99)) == "primary");
}
