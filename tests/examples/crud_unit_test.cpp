// The notes API's pure parts: ids, timestamps, If-Match parsing, list arguments and cursors.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "crud/list_query.hpp"
#include "crud/note_id.hpp"
#include "crud/preconditions.hpp"
#include "crud/timestamp.hpp"
#include "gale/web/http_error.hpp"

using namespace crud;
using std::chrono::milliseconds;
using std::chrono::system_clock;

TEST_CASE("Note ids are UUIDv7: version 7, variant 10, unique, ordered by their millisecond",
          "[crud]") {
  auto t = system_clock::time_point(milliseconds(1700000000123));
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_note_id(t);
    REQUIRE(is_note_id(id));
    CHECK(id[14] == '7');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(id.substr(0, 13) == "018bcfe5-687b");  // 1700000000123 ms = 0x018bcfe5687b
    ids.insert(id);
  }
  CHECK(ids.size() == 1000);
  CHECK(new_note_id(t) < new_note_id(t + milliseconds(1)));
  CHECK_FALSE(is_note_id("018BCFE5-687B-7000-8000-000000000000"));  // lowercase only
  CHECK_FALSE(is_note_id("018bcfe5687b70008000000000000000"));
  CHECK_FALSE(is_note_id("018bcfe5-687b-7000-8000-00000000000g"));
  CHECK_FALSE(is_note_id(""));
}

TEST_CASE("Timestamps are UTC with milliseconds, and only valid ones parse", "[crud]") {
  CHECK(format_timestamp(Millis(milliseconds(0))) == "1970-01-01T00:00:00.000Z");
  CHECK(format_timestamp(Millis(milliseconds(1700000000123))) == "2023-11-14T22:13:20.123Z");
  CHECK(format_timestamp(Millis(milliseconds(951782400000))) == "2000-02-29T00:00:00.000Z");
  CHECK(is_timestamp("2023-11-14T22:13:20.123Z"));
  CHECK(is_timestamp("2024-02-29T23:59:59.999Z"));
  CHECK_FALSE(is_timestamp("2023-02-29T00:00:00.000Z"));  // not a leap year
  CHECK_FALSE(is_timestamp("2023-11-14T24:00:00.000Z"));
  CHECK_FALSE(is_timestamp("2023-11-14 22:13:20.123Z"));
  CHECK_FALSE(is_timestamp("2023-11-14T22:13:20Z"));
  CHECK_FALSE(is_timestamp("2023-11-14T22:13:20.123+00:00"));
  CHECK_FALSE(is_timestamp("'; DROP TABLE notes; --xx"));
}

TEST_CASE("If-Match lists become the versions a write accepts", "[crud]") {
  CHECK(accepted_versions("").empty());
  CHECK(accepted_versions("*").empty());
  CHECK(accepted_versions("\"3\"") == Versions{3});
  CHECK(accepted_versions(" \"3\" , \"5\"") == Versions{3, 5});
  CHECK(accepted_versions("W/\"3\"") == Versions{0});  // weak: never matches
  CHECK(accepted_versions("\"abc\"") == Versions{0});
  CHECK(accepted_versions("3") == Versions{0});
  CHECK(accepted_versions("\"-1\"") == Versions{0});
  CHECK(accepted_versions("\"99999999999999999999\"") == Versions{0});
  Note n;
  n.version = 4;
  CHECK(none_match("\"4\"", n));
  CHECK(none_match("W/\"4\"", n));
  CHECK(none_match("\"1\", \"4\"", n));
  CHECK(none_match("*", n));
  CHECK_FALSE(none_match("\"3\"", n));
  CHECK_FALSE(none_match("", n));
}

TEST_CASE("List arguments parse to typed values, a cursor round-trips and is checked", "[crud]") {
  ListArguments args;
  auto q = parse_list_query(args);
  CHECK(q.limit == 20);
  CHECK(q.sort == SortField::created_at);
  CHECK(q.descending);
  CHECK_FALSE(q.done);
  CHECK_FALSE(q.after);

  args.limit = "100";
  args.done = "false";
  args.sort = "title";
  args.tags = {"a", "{\"$gt\": \"\"}"};
  q = parse_list_query(args);
  CHECK(q.limit == 100);
  CHECK(q.done == std::optional<bool>(false));
  CHECK(q.sort == SortField::title);
  CHECK_FALSE(q.descending);
  CHECK(q.tags == std::vector<std::string>{"a", "{\"$gt\": \"\"}"});

  Note last;
  last.id = "018bcfe5-687b-7000-8000-000000000001";
  last.title = "Zebra \"quoted\" & <b>";
  auto cursor = next_cursor(q, last);
  CHECK(cursor.find_first_of("+/=") == std::string::npos);  // URL-safe as it is
  args.cursor = cursor;
  q = parse_list_query(args);
  REQUIRE(q.after);
  CHECK(q.after->value == last.title);
  CHECK(q.after->id == last.id);

  args.sort = "-title";  // the cursor belongs to "title"
  CHECK_THROWS_AS(parse_list_query(args), gale::web::HTTPError);
  for (const char* bad : {"0", "101", "-1", "1e2", " 5", ""}) {
    ListArguments a;
    a.limit = bad;
    INFO(bad);
    CHECK_THROWS_AS(parse_list_query(a), gale::web::HTTPError);
  }
  ListArguments a;
  a.tags = {std::string("nul\0", 4)};
  CHECK_THROWS_AS(parse_list_query(a), gale::web::HTTPError);
}
