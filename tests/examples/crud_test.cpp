// examples/crud over HTTP, on the backend this executable was built for (test_crud_pg,
// test_crud_mongo): every endpoint, status code and error of the notes API.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "crud/deferred_store.hpp"
#include "crud/note_id.hpp"
#include "crud_fixture.hpp"

using crud_test::Api;
using crud_test::contains;
using crud_test::error_message;
using nlohmann::json;

namespace {

const std::string kMissingId = "01890000-0000-7000-8000-000000000000";

std::string etag(const json& note) {
  return "\"" + std::to_string(note["version"].get<std::int64_t>()) + "\"";
}

}  // namespace

TEST_CASE("POST creates a note: 201, Location, ETag, defaults, and GET reads it back", "[crud]") {
  Api api;
  json body = {{"slug", "first-note"}, {"title", "First"}, {"tags", {"a", "b"}}};
  auto r = api.call("POST", "/notes", body);
  INFO(r.body);
  REQUIRE(r.code == 201);
  auto note = r.json();
  CHECK(note["slug"] == "first-note");
  CHECK(note["title"] == "First");
  CHECK(note["body"] == "");
  CHECK(note["tags"] == json({"a", "b"}));
  CHECK(note["done"] == false);
  CHECK(note["version"] == 1);
  CHECK(note["created_at"] == note["updated_at"]);
  CHECK(note["created_at"].get<std::string>().size() == 24);
  CHECK(note["id"].get<std::string>().size() == 36);
  CHECK(r.headers.get("Location", "") == "/notes/" + note["id"].get<std::string>());
  CHECK(r.headers.get("ETag", "") == "\"1\"");
  CHECK(r.headers.get("Content-Type", "") == "application/json");

  auto got = api.call("GET", "/notes/" + note["id"].get<std::string>());
  REQUIRE(got.code == 200);
  CHECK(got.json() == note);
  CHECK(got.headers.get("ETag", "") == "\"1\"");
  CHECK(api.count() == 1);
}

TEST_CASE("Validation errors are 400, name the failing field and list every one", "[crud]") {
  Api api;
  struct Case {
    json body;
    std::string field;
  };
  std::vector<Case> cases = {
      {{{"title", "no slug"}}, "'slug' is required"},
      {{{"slug", "no-title"}}, "'title' is required"},
      {{{"slug", "x"}, {"title", ""}}, "'title'"},
      {{{"slug", "x"}, {"title", "   "}}, "'title' must not be blank"},
      {{{"slug", "x"}, {"title", 42}}, "'title' must be a string"},
      {{{"slug", "x"}, {"title", {{"$gt", ""}}}}, "'title' must be a string"},
      {{{"slug", "Has Spaces"}, {"title", "t"}}, "'slug'"},
      {{{"slug", "-edge"}, {"title", "t"}}, "'slug'"},
      {{{"slug", std::string(101, 'a')}, {"title", "t"}}, "'slug'"},
      {{{"slug", "x"}, {"title", std::string(201, 't')}}, "'title' must have 1 to 200"},
      {{{"slug", "x"}, {"title", "t"}, {"body", 7}}, "'body' must be a string"},
      {{{"slug", "x"}, {"title", "t"}, {"tags", "one"}}, "'tags' must be an array"},
      {{{"slug", "x"}, {"title", "t"}, {"tags", {1}}}, "'tags/0' must be a string"},
      {{{"slug", "x"}, {"title", "t"}, {"tags", {"a", "a"}}}, "'tags' has 'a' twice"},
      {{{"slug", "x"}, {"title", "t"}, {"tags", json(std::vector<std::string>(21, "t"))}},
       "'tags'"},
      {{{"slug", "x"}, {"title", "t"}, {"done", "yes"}}, "'done' must be true or false"},
      {{{"slug", "x"}, {"title", std::string("nul\0here", 8)}}, "'title' must not contain NUL"},
      {{{"slug", "x"}, {"title", "t"}, {"colour", "red"}}, "'colour' is not a field"},
      {{{"slug", "x"}, {"title", "t"}, {"$where", "1"}}, "'$where' is not a field"},
      {json::array({1, 2}), "must be a JSON object"},
  };
  for (const auto& c : cases) {
    auto r = api.call("POST", "/notes", c.body);
    INFO(c.body.dump() << " -> " << r.code << " " << r.body);
    CHECK(r.code == 400);
    CHECK(contains(error_message(r), c.field));
    CHECK(r.headers.get("Content-Type", "") == "application/json");
    CHECK(r.json()["error"]["errors"].size() >= 1);
  }
  // Every failing field at once, by JSON Pointer.
  auto many = api.call("POST", "/notes",
                       json{{"slug", "Bad Slug"}, {"tags", {"ok", "", 3}}, {"done", "no"}});
  REQUIRE(many.code == 400);
  json listed = json::array();
  json many_body = many.json();
  for (const auto& e : many_body["error"]["errors"]) listed.push_back(e["path"]);
  CHECK(listed == json{"/done", "/slug", "/tags/1", "/tags/2", "/title"});
  // Malformed JSON, and a body that says it is not JSON.
  auto req = Api::request("POST");
  req.body = R"({"slug": "x", "title": )";
  auto bad = api.server().fetch_sync("/notes", req);
  CHECK(bad.code == 400);
  CHECK(contains(error_message(bad), "malformed JSON"));
  auto form = Api::request("POST");
  form.body = "slug=x&title=t";
  form.headers.add("Content-Type", "application/x-www-form-urlencoded");
  CHECK(api.server().fetch_sync("/notes", form).code == 415);
  // Nothing was written; read-only fields are accepted and ignored.
  CHECK(api.count() == 0);
  auto ok = api.call("POST", "/notes",
                     json{{"slug", "ro"}, {"title", "t"}, {"id", "mine"}, {"version", 99}});
  REQUIRE(ok.code == 201);
  CHECK(ok.json()["version"] == 1);
  CHECK(ok.json()["id"] != "mine");
}

TEST_CASE("A duplicate slug is 409, on create and on update", "[crud]") {
  Api api;
  auto a = api.create("taken");
  auto b = api.create("free");
  auto dup = api.call("POST", "/notes", json{{"slug", "taken"}, {"title", "again"}});
  CHECK(dup.code == 409);
  CHECK(contains(error_message(dup), "slug 'taken' already exists"));
  auto id_b = b["id"].get<std::string>();
  auto patch = api.call("PATCH", "/notes/" + id_b, json{{"slug", "taken"}});
  CHECK(patch.code == 409);
  auto put = api.call("PUT", "/notes/" + id_b, json{{"slug", "taken"}, {"title", "t"}});
  CHECK(put.code == 409);
  // b is unchanged and can still be written (a failed write leaves no trace behind).
  auto still = api.call("GET", "/notes/" + id_b);
  CHECK(still.json() == b);
  auto renamed =
      api.call("PATCH", "/notes/" + id_b, json{{"slug", "free-2"}}, {{"If-Match", "\"1\""}});
  CHECK(renamed.code == 200);
  CHECK(api.count() == 2);
}

TEST_CASE("An id that names no note is 404 for every method", "[crud]") {
  Api api;
  api.create("exists");
  for (const std::string& id :
       {kMissingId, std::string("not-an-id"), std::string("1%27%20OR%20%271%27%3D%271")}) {
    std::string path = "/notes/" + id;
    for (const char* method : {"GET", "DELETE"}) {
      auto r = api.call(method, path);
      INFO(method << " " << path);
      CHECK(r.code == 404);
      CHECK(contains(error_message(r), "no note with id"));
    }
    CHECK(api.call("PUT", path, json{{"slug", "s"}, {"title", "t"}}).code == 404);
    CHECK(api.call("PATCH", path, json{{"done", true}}).code == 404);
  }
  CHECK(api.call("POST", "/notes/" + kMissingId, json::object()).code == 405);
  CHECK(api.count() == 1);
}

TEST_CASE("PUT replaces the note, PATCH changes only the fields given, versions and ETags move",
          "[crud]") {
  Api api;
  auto note = api.create("doc", {{"body", "text"}, {"tags", {"x"}}, {"done", true}});
  auto path = "/notes/" + note["id"].get<std::string>();

  auto patched = api.call("PATCH", path, json{{"title", "Patched"}});
  REQUIRE(patched.code == 200);
  auto p = patched.json();
  CHECK(p["title"] == "Patched");
  CHECK(p["body"] == "text");
  CHECK(p["tags"] == json({"x"}));
  CHECK(p["done"] == true);
  CHECK(p["version"] == 2);
  CHECK(patched.headers.get("ETag", "") == "\"2\"");
  CHECK(p["created_at"] == note["created_at"]);
  CHECK(p["updated_at"] >= note["updated_at"]);

  auto put = api.call("PUT", path, json{{"slug", "doc-2"}, {"title", "Replaced"}});
  REQUIRE(put.code == 200);
  auto r = put.json();
  CHECK(r["slug"] == "doc-2");
  CHECK(r["title"] == "Replaced");
  CHECK(r["body"] == "");  // the defaults: a replacement, not a merge
  CHECK(r["tags"] == json::array());
  CHECK(r["done"] == false);
  CHECK(r["version"] == 3);
  CHECK(r["id"] == note["id"]);
  CHECK(api.call("GET", path).json() == r);

  auto empty = api.call("PATCH", path, json::object());
  CHECK(empty.code == 400);
  CHECK(contains(error_message(empty), "nothing to change"));
  auto bad = api.call("PATCH", path, json{{"done", nullptr}});
  CHECK(bad.code == 400);
  CHECK(contains(error_message(bad), "'done'"));
  auto missing = api.call("PUT", path, json{{"title", "no slug"}});
  CHECK(missing.code == 400);
  CHECK(contains(error_message(missing), "'slug' is required"));
  CHECK(api.call("GET", path).json()["version"] == 3);
}

TEST_CASE("If-Match guards writes: a stale ETag is 412 and changes nothing", "[crud]") {
  Api api;
  auto note = api.create("guarded");
  auto path = "/notes/" + note["id"].get<std::string>();
  auto v2 = api.call("PATCH", path, json{{"done", true}}, {{"If-Match", etag(note)}});
  REQUIRE(v2.code == 200);
  CHECK(v2.headers.get("ETag", "") == "\"2\"");

  for (const char* stale : {"\"1\"", "W/\"2\"", "\"x\"", "\"1\", \"3\""}) {
    INFO(stale);
    auto r = api.call("PATCH", path, json{{"title", "lost"}}, {{"If-Match", stale}});
    CHECK(r.code == 412);
    CHECK(contains(error_message(r), "changed since you read it"));
    CHECK(
        api.call("PUT", path, json{{"slug", "s"}, {"title", "lost"}}, {{"If-Match", stale}}).code ==
        412);
    CHECK(api.call("DELETE", path, std::nullopt, {{"If-Match", stale}}).code == 412);
  }
  auto now = api.call("GET", path).json();
  CHECK(now["version"] == 2);
  CHECK(now["title"] == note["title"]);
  // A list holding the current ETag matches; so does "*".
  CHECK(api.call("PATCH", path, json{{"title", "ok"}}, {{"If-Match", "\"1\", \"2\""}}).code == 200);
  CHECK(api.call("PATCH", path, json{{"title", "ok2"}}, {{"If-Match", "*"}}).code == 200);
  // If-Match on a missing note: 404, not 412.
  CHECK(api.call("PATCH", "/notes/" + kMissingId, json{{"done", true}}, {{"If-Match", "\"1\""}})
            .code == 404);
  // If-None-Match: 304 while the client's copy is current, 200 once it is not.
  auto cached = api.call("GET", path, std::nullopt, {{"If-None-Match", "\"4\""}});
  CHECK(cached.code == 304);
  CHECK(cached.body.empty());
  CHECK(cached.headers.get("ETag", "") == "\"4\"");
  CHECK(api.call("GET", path, std::nullopt, {{"If-None-Match", "\"3\""}}).code == 200);
}

TEST_CASE("Concurrent updates racing on one ETag: exactly one wins", "[crud]") {
  Api api;
  auto note = api.create("raced");
  auto path = "/notes/" + note["id"].get<std::string>();
  constexpr int kWriters = 8;
  for (int round = 0; round < 3; ++round) {
    auto current = api.call("GET", path).json();
    auto tag = etag(current);
    auto responses = gale::IOLoop::current().run_sync(
        [&]() {
          std::vector<gale::Future<gale::web::HTTPResponse>> writes;
          for (int i = 0; i < kWriters; ++i) {
            json change = {{"title", "writer " + std::to_string(i)}};
            writes.push_back(
                api.call_async(i % 2 ? "PATCH" : "PUT", path,
                               i % 2 ? change : json{{"slug", "raced"}, {"title", change["title"]}},
                               {{"If-Match", tag}}));
          }
          return gale::gather(std::move(writes));
        },
        std::chrono::seconds(60));
    int won = 0, stale = 0;
    std::string winner;
    for (const auto& r : responses) {
      INFO(r.code << " " << r.body);
      if (r.code == 200) {
        ++won;
        winner = r.json()["title"];
      } else {
        CHECK(r.code == 412);
        ++stale;
      }
    }
    CHECK(won == 1);
    CHECK(stale == kWriters - 1);
    auto after = api.call("GET", path).json();
    CHECK(after["version"] == current["version"].get<int>() + 1);
    CHECK(after["title"] == winner);
  }
}

TEST_CASE("A delete and an update holding the same ETag: exactly one succeeds", "[crud]") {
  Api api;
  for (int round = 0; round < 3; ++round) {
    auto note = api.create("del-race-" + std::to_string(round));
    auto path = "/notes/" + note["id"].get<std::string>();
    auto responses = gale::IOLoop::current().run_sync(
        [&]() {
          std::vector<gale::Future<gale::web::HTTPResponse>> ops;
          ops.push_back(api.call_async("DELETE", path, std::nullopt, {{"If-Match", "\"1\""}}));
          ops.push_back(
              api.call_async("PATCH", path, json{{"done", true}}, {{"If-Match", "\"1\""}}));
          return gale::gather(std::move(ops));
        },
        std::chrono::seconds(60));
    bool deleted = responses[0].code == 204;
    bool updated = responses[1].code == 200;
    INFO(responses[0].code << " " << responses[1].code);
    CHECK(deleted != updated);
    CHECK(api.call("GET", path).code == (deleted ? 404 : 200));
    if (deleted) CHECK((responses[1].code == 404 || responses[1].code == 412));
    if (updated) CHECK(responses[0].code == 412);
  }
}

TEST_CASE("Writes without If-Match all land, each with a version of its own", "[crud]") {
  Api api;
  auto note = api.create("unguarded");
  auto path = "/notes/" + note["id"].get<std::string>();
  constexpr int kWriters = 4;
  auto responses = gale::IOLoop::current().run_sync(
      [&]() {
        std::vector<gale::Future<gale::web::HTTPResponse>> writes;
        for (int i = 0; i < kWriters; ++i) {
          writes.push_back(api.call_async("PATCH", path, json{{"body", std::to_string(i)}}));
        }
        return gale::gather(std::move(writes));
      },
      std::chrono::seconds(60));
  std::set<std::int64_t> versions;
  for (const auto& r : responses) {
    INFO(r.body);
    REQUIRE(r.code == 200);
    versions.insert(r.json()["version"].get<std::int64_t>());
  }
  CHECK(versions == std::set<std::int64_t>{2, 3, 4, 5});
  CHECK(api.call("GET", path).json()["version"] == 5);
}

TEST_CASE("DELETE answers 204, then the note is gone", "[crud]") {
  Api api;
  auto note = api.create("short-lived");
  auto keep = api.create("kept");
  auto path = "/notes/" + note["id"].get<std::string>();
  auto r = api.call("DELETE", path, std::nullopt, {{"If-Match", "\"1\""}});
  CHECK(r.code == 204);
  CHECK(r.body.empty());
  CHECK(api.call("GET", path).code == 404);
  CHECK(api.call("DELETE", path).code == 404);
  CHECK(api.count() == 1);
  // The slug is free again.
  api.create("short-lived");
  CHECK(api.call("DELETE", "/notes/" + keep["id"].get<std::string>()).code == 204);
}

// A whole second is where the stores' texts could part: MongoDB's relaxed Extended JSON leaves the
// fraction out ("...05Z"), the API writes it always ("...05.000Z"), and lists compare the texts.
TEST_CASE("A note stored on a whole second reads back with the same timestamp text", "[crud]") {
  crud_test::Backend backend;
  auto& loop = gale::IOLoop::current();
  loop.run_sync([&] { return backend.store().setup(); }, std::chrono::seconds(30));
  crud::Note note;
  note.id = crud::new_note_id(std::chrono::system_clock::now());
  note.slug = "whole-second";
  note.title = "Whole";
  note.created_at = "2026-01-02T03:04:05.000Z";
  note.updated_at = note.created_at;  // as a new note has it
  loop.run_sync([&] { return backend.store().insert(note); }, std::chrono::seconds(30));
  auto back =
      loop.run_sync([&] { return backend.store().find(note.id); }, std::chrono::seconds(30));
  REQUIRE(back);
  CHECK(back->created_at == note.created_at);
  CHECK(back->updated_at == note.updated_at);
}

TEST_CASE("The list pages through every note once, in each sort order", "[crud]") {
  Api api;
  constexpr int kNotes = 23;
  std::vector<json> created;
  for (int i = 0; i < kNotes; ++i) {
    // Titles out of creation order; some equal, so ties are broken by id.
    created.push_back(
        api.create("n" + std::to_string(i), {{"title", "t" + std::to_string((i * 7) % 10)}}));
  }
  // Touch a few so that updated_at differs from created_at order.
  for (int i : {3, 11, 17}) {
    api.call("PATCH", "/notes/" + created[i]["id"].get<std::string>(), json{{"done", true}});
  }
  for (std::string sort : std::vector<std::string>{"", "created_at", "-created_at", "title",
                                                   "-title", "updated_at", "-updated_at"}) {
    INFO("sort=" << sort);
    std::vector<json> seen;
    std::string cursor;
    int pages = 0;
    do {
      std::string path = "/notes?limit=10";
      if (!sort.empty()) path += "&sort=" + sort;
      if (!cursor.empty()) path += "&cursor=" + cursor;
      auto r = api.call("GET", path);
      INFO(r.body);
      REQUIRE(r.code == 200);
      auto page = r.json();
      REQUIRE(page["items"].size() <= 10);
      for (auto& item : page["items"]) seen.push_back(item);
      cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
      ++pages;
    } while (!cursor.empty() && pages < 10);
    CHECK(pages == 3);
    REQUIRE(seen.size() == static_cast<std::size_t>(kNotes));
    std::set<std::string> ids;
    for (auto& n : seen) ids.insert(n["id"].get<std::string>());
    CHECK(ids.size() == static_cast<std::size_t>(kNotes));
    std::string field = sort.empty() ? "created_at" : (sort[0] == '-' ? sort.substr(1) : sort);
    bool descending = sort.empty() || sort[0] == '-';
    for (std::size_t i = 1; i < seen.size(); ++i) {
      auto a = std::make_pair(seen[i - 1][field].get<std::string>(),
                              seen[i - 1]["id"].get<std::string>());
      auto b = std::make_pair(seen[i][field].get<std::string>(), seen[i]["id"].get<std::string>());
      CHECK((descending ? a > b : a < b));
    }
  }
}

TEST_CASE("The list filters by done and by tags", "[crud]") {
  Api api;
  api.create("a", {{"tags", {"work", "urgent"}}, {"done", true}});
  api.create("b", {{"tags", {"work"}}});
  api.create("c", {{"tags", {"home"}}, {"done", true}});
  api.create("d");
  auto slugs = [&](const std::string& query) {
    auto r = api.call("GET", "/notes?sort=title&" + query);
    INFO(query << " " << r.body);
    REQUIRE(r.code == 200);
    std::vector<std::string> out;
    auto page = r.json();
    for (auto& n : page["items"]) out.push_back(n["slug"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(slugs("done=true") == V{"a", "c"});
  CHECK(slugs("done=false") == V{"b", "d"});
  CHECK(slugs("tag=work") == V{"a", "b"});
  CHECK(slugs("tag=work&tag=urgent") == V{"a"});
  CHECK(slugs("tag=work&done=false") == V{"b"});
  CHECK(slugs("tag=nothing").empty());
  CHECK(slugs("") == V{"a", "b", "c", "d"});
}

TEST_CASE("List arguments are validated: 400 naming the argument", "[crud]") {
  Api api;
  auto note = api.create("only");
  struct Case {
    std::string query, argument;
  };
  std::vector<Case> cases = {
      {"limit=0", "'limit'"},     {"limit=101", "'limit'"},
      {"limit=ten", "'limit'"},   {"limit=5x", "'limit'"},
      {"done=yes", "'done'"},     {"sort=body", "'sort'"},
      {"sort=-", "'sort'"},       {"cursor=%%%", "'cursor'"},
      {"cursor=e30", "'cursor'"},  // e30 is base64url of {}
  };
  for (const auto& c : cases) {
    auto r = api.call("GET", "/notes?" + c.query);
    INFO(c.query << " -> " << r.body);
    CHECK(r.code == 400);
    CHECK(contains(error_message(r), c.argument));
  }
  // A cursor of one sort order is refused by another; a forged one is refused.
  api.create("second");
  auto page = api.call("GET", "/notes?limit=1&sort=title").json();
  REQUIRE(page["next_cursor"].is_string());
  auto cursor = page["next_cursor"].get<std::string>();
  auto other = api.call("GET", "/notes?limit=1&sort=-created_at&cursor=" + cursor);
  CHECK(other.code == 400);
  CHECK(contains(error_message(other), "another sort order"));
  // {"s":"-created_at","v":{"$gt":""},"id":"x"} and a SQL fragment as the value.
  for (const std::string& forged :
       std::vector<std::string>{"eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2Ijp7IiRndCI6IiJ9LCJpZCI6IngifQ",
                                "eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2IjoiJyBPUiAxPTEgLS0iLCJpZCI6IngifQ"}) {
    auto r = api.call("GET", "/notes?cursor=" + forged);
    CHECK(r.code == 400);
    CHECK(contains(error_message(r), "'cursor'"));
  }
}

TEST_CASE("Operator and SQL injection attempts are plain strings", "[crud]") {
  Api api;
  const std::string sql = "x'); DROP TABLE notes; --";
  auto evil = api.create("evil", {{"title", sql},
                                  {"body", R"j({"$where": "sleep(1000)"})j"},
                                  {"tags", {"$where", R"({"$gt": ""})", "' OR '1'='1"}}});
  api.create("plain", {{"tags", {"ordinary"}}});
  CHECK(evil["title"] == sql);
  auto read = api.call("GET", "/notes/" + evil["id"].get<std::string>()).json();
  CHECK(read == evil);  // stored verbatim
  auto tagged = [&](const std::string& encoded) {
    auto r = api.call("GET", "/notes?tag=" + encoded);
    INFO(encoded << " " << r.body);
    REQUIRE(r.code == 200);
    return r.json()["items"].size();
  };
  CHECK(tagged("%24where") == 1);                       // $where: the literal tag only
  CHECK(tagged("%7B%22%24gt%22%3A%20%22%22%7D") == 1);  // {"$gt": ""}: the literal tag only
  CHECK(tagged("%7B%22%24ne%22%3A%20null%7D") == 0);    // {"$ne": null}: matches nothing
  CHECK(tagged("%27%20OR%20%271%27%3D%271") == 1);      // ' OR '1'='1: the literal tag only
  CHECK(tagged("x%27%29%3B%20DROP%20TABLE%20notes%3B%20--") == 0);
  // Bracketed argument names (tag[$ne]=x, done[$gt]=) are just other names: ignored.
  auto r = api.call("GET", "/notes?tag%5B%24ne%5D=x&done%5B%24gt%5D=");
  REQUIRE(r.code == 200);
  CHECK(r.json()["items"].size() == 2);
  // A body can carry no operator either.
  auto op = api.call("PATCH", "/notes/" + evil["id"].get<std::string>(),
                     json{{"$set", {{"done", true}}}});
  CHECK(op.code == 400);
  auto op2 = api.call("PATCH", "/notes/" + evil["id"].get<std::string>(),
                      json{{"done", {{"$ne", false}}}});
  CHECK(op2.code == 400);
  // Everything is still there.
  CHECK(api.count() == 2);
  CHECK(api.call("GET", "/notes").json()["items"].size() == 2);
}

TEST_CASE("Requests during start-up wait for the database, and get 503 past the wait", "[crud]") {
  crud_test::Backend backend;
  gale::IOLoop::current().run_sync([&] { return backend.store().setup(); },
                                   std::chrono::seconds(30));
  crud::DeferredStore deferred(std::chrono::seconds(10));
  gale::web::Application app({}, crud_test::quiet());
  crud::add_routes(app, deferred);
  gale::web::testing::TestServer server(app);
  // The store arrives 200 ms after the request: the request waits, then is served.
  auto started = std::chrono::steady_clock::now();
  auto timer = gale::IOLoop::current().call_later(std::chrono::milliseconds(200),
                                                  [&] { deferred.set(&backend.store()); });
  auto r = server.fetch_sync("/notes", Api::request("GET"));
  CHECK(r.code == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(200));

  crud::DeferredStore never(std::chrono::milliseconds(100));
  gale::web::Application app2({}, crud_test::quiet());
  crud::add_routes(app2, never);
  gale::web::testing::TestServer server2(app2);
  auto refused = server2.fetch_sync("/notes", Api::request("GET"));
  CHECK(refused.code == 503);
  CHECK(refused.headers.get("Retry-After", "") == "1");
  CHECK(contains(error_message(refused), "starting"));
  // Validation still answers at once: it needs no database.
  CHECK(server2.fetch_sync("/notes?limit=0", Api::request("GET")).code == 400);
}
