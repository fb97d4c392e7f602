// Values in and out: every parameter type, typed reads, and JSON by column type, NULLs included.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace gale::testing;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using nlohmann::json;

TEST_CASE("results convert to JSON by column type", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  json row = run(loop, [&]() -> Future<json> {
    auto r = co_await pg.query(
        "SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8, 1.5::float4 AS f4, "
        "0.1::float8 AS f8, 'NaN'::float8 AS nan, '123456789012345678901234567890.123'::numeric "
        "AS num, true AS b, false AS bf, 'héllo \"q\"'::text AS t, 'x'::varchar(3) AS vc, "
        "'ab'::char(3) AS bp, '{\"a\": [1, 2, null]}'::json AS j, '{\"b\": {\"c\": 1}}'::jsonb AS "
        "jb, '2024-02-29'::date AS d, '13:14:15.5'::time AS tm, '13:14:15+02'::timetz AS ttz, "
        "'2024-01-02 03:04:05.123456'::timestamp AS ts, "
        "'2024-01-02 03:04:05+00'::timestamptz AS tstz, "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '\\x00ff41'::bytea AS by, "
        "NULL::int AS n, NULL::text AS nt, '1 day 2 hours'::interval AS iv, 12.34::money AS m");
    co_return r.to_json()[0];
  });
  CHECK(row["i2"] == 1);
  CHECK(row["i4"] == 2);
  CHECK(row["i8"] == 9007199254740993LL);
  CHECK(row["f4"] == 1.5);
  CHECK(row["f8"] == 0.1);
  CHECK(row["nan"] == "NaN");
  CHECK(row["num"] == "123456789012345678901234567890.123");
  CHECK(row["b"] == true);
  CHECK(row["bf"] == false);
  CHECK(row["t"] == "héllo \"q\"");
  CHECK(row["vc"] == "x");
  CHECK(row["bp"] == "ab ");
  CHECK(row["j"] == json::parse(R"({"a": [1, 2, null]})"));
  CHECK(row["jb"] == json::parse(R"({"b": {"c": 1}})"));
  CHECK(row["d"] == "2024-02-29");
  CHECK(row["tm"] == "13:14:15.5");
  CHECK(row["ttz"] == "13:14:15+02:00");
  CHECK(row["ts"] == "2024-01-02T03:04:05.123456");
  CHECK(row["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  CHECK(row["by"] == "AP9B");  // base64 of 00 ff 41
  CHECK(row["n"].is_null());
  CHECK(row["nt"].is_null());
  CHECK(row["iv"].is_string());
  CHECK(row["m"].is_string());
  // timestamptz comes in the session's time zone, always with its offset.
  std::string tstz = row["tstz"];
  CHECK(tstz.substr(0, 11) == "2024-01-02T");
  CHECK((tstz.find('+') != std::string::npos || tstz.find('-', 11) != std::string::npos));
  CHECK(tstz.size() >= 25);
}

TEST_CASE("timestamptz is ISO 8601 with the session's offset", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("options=-c%20TimeZone%3DAsia/Kolkata"));
  auto v = run(loop, [&]() -> Future<json> {
    auto r = co_await pg.query("SELECT '2024-01-02 03:04:05+00'::timestamptz AS t");
    co_return r.to_json()[0]["t"];
  });
  CHECK(v == "2024-01-02T08:34:05+05:30");
}

TEST_CASE("arrays convert to JSON arrays in any dimension with NULLs and quoting", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  json row = run(loop, [&]() -> Future<json> {
    auto r = co_await pg.query(
        "SELECT ARRAY[1, NULL, 3]::int4[] AS a, ARRAY[[1, 2], [3, 4]]::int8[] AS m, "
        "ARRAY['a b', 'q\"x', 'back\\slash', NULL, 'NULL', '', '{}', 'c,d']::text[] AS s, "
        "'{}'::int[] AS e, '[0:1]={7,8}'::int[] AS dims, ARRAY[1.5, NULL]::numeric[] AS n, "
        "ARRAY[true, false] AS b, ARRAY['{\"k\": 1}'::jsonb] AS j, "
        "ARRAY['2024-01-02 03:04:05'::timestamp] AS ts, ARRAY['\\x01'::bytea] AS by, "
        "ARRAY[[[1]], [[2]]] AS three");
    co_return r.to_json()[0];
  });
  CHECK(row["a"] == json::parse("[1, null, 3]"));
  CHECK(row["m"] == json::parse("[[1, 2], [3, 4]]"));
  CHECK(row["s"] ==
        json::parse(R"(["a b", "q\"x", "back\\slash", null, "NULL", "", "{}", "c,d"])"));
  CHECK(row["e"] == json::array());
  CHECK(row["dims"] == json::parse("[7, 8]"));
  CHECK(row["n"] == json::parse(R"(["1.5", null])"));
  CHECK(row["b"] == json::parse("[true, false]"));
  CHECK(row["j"] == json::parse(R"([{"k": 1}])"));
  CHECK(row["ts"] == json::parse(R"(["2024-01-02T03:04:05"])"));
  CHECK(row["by"] == json::parse(R"(["AQ=="])"));
  CHECK(row["three"] == json::parse("[[[1]], [[2]]]"));
}

TEST_CASE("typed reads with as<T> and optional for NULL", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto r = co_await pg.query(
        "SELECT 42 AS i, 'x' AS s, NULL::int AS n, 2.5::float8 AS f, true AS b, "
        "'\\x6869'::bytea AS by, '{\"a\":1}'::jsonb AS j, 40000 AS big");
    auto row = r[0];
    CHECK(row["i"].as<std::int64_t>() == 42);
    CHECK(row["i"].as<int>() == 42);
    CHECK(row["s"].as<std::string>() == "x");
    CHECK(row["s"].as<std::string_view>() == "x");
    CHECK_FALSE(row["n"].as<std::optional<int>>().has_value());
    CHECK(row["i"].as<std::optional<int>>() == 42);
    CHECK(row["f"].as<double>() == 2.5);
    CHECK(row["b"].as<bool>());
    CHECK(row["by"].as<std::vector<std::uint8_t>>() == std::vector<std::uint8_t>{'h', 'i'});
    CHECK(row["j"].as<json>() == json::parse(R"({"a":1})"));
    CHECK(row[std::size_t{0}].as<int>() == 42);
    CHECK(row.to_json()["i"] == 42);
    CHECK_THROWS_AS(row["n"].as<int>(), gale::Error);
    CHECK_THROWS_AS(row["s"].as<int>(), gale::Error);
    CHECK_THROWS_AS(row["big"].as<std::int16_t>(), gale::Error);
    CHECK_THROWS_AS(row["nope"], gale::Error);
    CHECK(r.columns() == 8);
    CHECK(r.column_name(1) == "s");
  });
}

TEST_CASE("parameters of every kind go apart from the SQL and come back verbatim", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  auto table = unique_name("params");
  const std::string evil = "Robert'); DROP TABLE " + table + "; -- \"quoted\" \\ back";
  const std::vector<std::uint8_t> bytes = {0, 1, 2, 255, '\''};
  const std::vector<std::optional<std::string>> tags = {"a,b", std::nullopt, "c\"d", "{x}"};
  const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1704164645));
  const json j1 = {{"k", {1, "two"}}};
  const json j2 = {{"x", nullptr}};
  const std::vector<int> ints = {1, 2, 3};
  const std::string day = "2024-02-29";
  const std::string exact = "1.10";
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE TABLE " + table +
                        " (id bigserial PRIMARY KEY, t text, i int, b bigint, f float8, ok bool, "
                        "j jsonb, js json, by bytea, arr int[], tags text[], ts timestamptz, "
                        "d date, n numeric)");
    auto id = co_await pg.query_value<std::int64_t>(
        "INSERT INTO " + table +
            " (t, i, b, f, ok, j, js, by, arr, tags, ts, d, n) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8, $9, $10, $11, $12, $13) RETURNING id",
        evil, 7, std::int64_t{1} << 40, 0.25, true, j1, j2, bytes, ints, tags, when, day, exact);
    auto row = (co_await pg.query("SELECT * FROM " + table + " WHERE id = $1", id)).to_json()[0];
    CHECK(row["t"] == evil);
    CHECK(row["i"] == 7);
    CHECK(row["b"] == (std::int64_t{1} << 40));
    CHECK(row["f"] == 0.25);
    CHECK(row["ok"] == true);
    CHECK(row["j"] == j1);
    CHECK(row["js"] == j2);
    CHECK(row["by"] == "AAEC/yc=");
    CHECK(row["arr"] == json::parse("[1, 2, 3]"));
    CHECK(row["tags"] == json::parse(R"(["a,b", null, "c\"d", "{x}"])"));
    CHECK(row["d"] == "2024-02-29");
    CHECK(row["n"] == "1.10");
    auto epoch = co_await pg.query_value<double>(
        "SELECT extract(epoch FROM ts)::float8 FROM " + table + " WHERE id = $1", id);
    CHECK(epoch == 1704164645.0);
    // NULLs from nullptr and empty optionals.
    std::optional<int> none;
    co_await pg.execute("INSERT INTO " + table + " (t, i) VALUES ($1, $2)", nullptr, none);
    auto nulls = co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table +
                                                       " WHERE t IS NULL AND i IS NULL");
    CHECK(nulls == 1);
    // The table survived the would-be injection.
    CHECK(co_await pg.query_value<std::int64_t>("SELECT count(*) FROM " + table) == 2);
    co_await pg.execute("DROP TABLE " + table);
  });
}

TEST_CASE("integer parameters keep their width and unsigned overflow is refused", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  run(loop, [&]() -> Future<void> {
    auto r = co_await pg.query(
        "SELECT pg_typeof($1)::text, pg_typeof($2)::text, pg_typeof($3)::text, "
        "$4::int8, pg_typeof($5)::text",
        std::int16_t{1}, 2, std::int64_t{3}, 4u, 2.5f);
    CHECK(r[0][std::size_t{0}].as<std::string>() == "smallint");
    CHECK(r[0][1].as<std::string>() == "integer");
    CHECK(r[0][2].as<std::string>() == "bigint");
    CHECK(r[0][3].as<int>() == 4);
    CHECK(r[0][4].as<std::string>() == "real");
  });
  // Beyond bigint: refused when the query is made (its Future fails), never sent.
  CHECK(gale::pg::Params(std::uint64_t{1} << 63).error() != nullptr);
  CHECK(gale::pg::Params(std::uint64_t{1} << 62).error() == nullptr);
}

TEST_CASE("enums, domains and arrays of them convert by what they are", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri_with("pool_max_size=1"));
  auto mood = unique_name("mood");
  auto score = unique_name("score");
  auto table = unique_name("typed");
  json row = run(loop, [&]() -> Future<json> {
    co_await pg.execute_script("CREATE TYPE " + mood + " AS ENUM ('sad', 'ok', 'happy'); " +
                               "CREATE DOMAIN " + score + " AS int CHECK (VALUE >= 0); " +
                               "CREATE TABLE " + table + " (m " + mood + ", ms " + mood + "[], s " +
                               score + ", ss " + score + "[], r int4range)");
    co_await pg.execute("INSERT INTO " + table +
                        " VALUES ('happy', '{sad,NULL,ok}', 7, '{1,2}', '[1,5)')");
    auto r = co_await pg.query("SELECT * FROM " + table);
    auto first = r.to_json()[0];
    // The lookup happens once per type: a second read needs none and gives the same.
    auto again = (co_await pg.query("SELECT * FROM " + table)).to_json()[0];
    CHECK(again == first);
    co_await pg.execute_script("DROP TABLE " + table + "; DROP TYPE " + mood + "; DROP DOMAIN " +
                               score);
    co_return first;
  });
  CHECK(row["m"] == "happy");
  CHECK(row["ms"] == json::parse(R"(["sad", null, "ok"])"));
  CHECK(row["s"] == 7);
  CHECK(row["ss"] == json::parse("[1, 2]"));
  CHECK(row["r"] == "[1,5)");  // ranges keep their text
}

// Found by fuzz/pg_value_fuzzer.cpp: a json value nlohmann cannot hold made the conversion throw
// nlohmann's out_of_range instead of a gale::Error, and PostgreSQL does send such values.
TEST_CASE("json values beyond a double give a gale::Error, not a foreign exception", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  for (const char* sql : {"SELECT '[1e400]'::json AS v", "SELECT '1e400'::jsonb AS v",
                          "SELECT '{\"n\": -1e999}'::jsonb AS v"}) {
    auto rows = run(loop, [&]() -> Future<gale::pg::Result> { co_return co_await pg.query(sql); });
    try {
      (void)rows.to_json();
      FAIL("converted: " << sql);
    } catch (const gale::Error& e) {
      CHECK(e.kind() == gale::ErrorKind::internal);
      CHECK_THAT(e.what(), Catch::Contains("json value"));
    }
    CHECK(rows.front()["v"].text().size() > 3);  // the text is still there, exactly
  }
  // Big integers within a double's range convert (as floating point).
  auto big = run(loop, [&]() -> Future<json> {
    auto r = co_await pg.query("SELECT '[123456789012345678901234567890]'::jsonb AS v");
    co_return r.to_json()[0]["v"];
  });
  CHECK(big[0].is_number_float());
}

TEST_CASE("text comes back as UTF-8 whatever the database's encoding", "[pg]") {
  IOLoop loop;
  Client pg(pg_uri());
  auto encoding = run(loop, [&]() -> Future<std::string> {
    co_return co_await pg.query_value<std::string>("SHOW client_encoding");
  });
  CHECK(encoding == "UTF8");
  // A LATIN1 database: 'é' is stored as one byte, and still arrives as UTF-8.
  auto db = unique_name("latin1");
  run(loop, [&]() -> Future<void> {
    co_await pg.execute("CREATE DATABASE " + db +
                        " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  });
  {
    auto uri = pg_uri();
    auto slash = uri.find('/', uri.find("://") + 3);
    auto query = uri.find('?', slash);
    auto latin_uri =
        uri.substr(0, slash + 1) + db + (query == std::string::npos ? "" : uri.substr(query));
    Client latin(latin_uri);
    auto row = run(loop, [&]() -> Future<json> {
      auto r = co_await latin.query(
          "SELECT convert_to('caf\u00e9', 'LATIN1') AS raw, 'caf\u00e9'::text AS t");
      co_return r.to_json()[0];
    });
    CHECK(row["t"] == "caf\u00e9");
    CHECK(row["t"].dump() == "\"caf\u00e9\"");
    latin.close();
  }
  run(loop,
      [&]() -> Future<void> { co_await pg.execute("DROP DATABASE " + db + " WITH (FORCE)"); });
}
