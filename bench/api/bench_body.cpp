// Parsing and validating a 1 KiB note body: the declared type (gale::web::decode<NoteInput>, what
// json_body<NoteInput>() runs after the parse) against nlohmann's plain parse plus the notes API's
// former hand-written checks (handwritten_note.cpp), in the same run, rounds interleaved.
//
//   build/bench/api/bench_body [iterations per round, 20000] [rounds, 7]
//
// Prints the median ns per body of each and the ratio declared / hand-written (target: <= 1.0),
// behind nlohmann's plain parse and behind parse_json (what json_body() runs: the size and depth
// limits, the notes API's path before and after).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "crud/note_validation.hpp"
#include "gale/web/json_body.hpp"
#include "gale/web/json_type.hpp"
#include "handwritten_note.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string note_body() {
  std::string text;
  while (text.size() < 860) text += "A note about the benchmark of declared types, in words. ";
  json body = {{"slug", "the-benchmark-note"},
               {"title", "Parsing and validating a note body"},
               {"body", text},
               {"tags", {"bench", "types", "json", "notes", "api"}},
               {"done", false}};
  return body.dump();
}

volatile std::size_t sink = 0;

template <class F>
double ns_per_body(int iterations, const F& once) {
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) sink = sink + once();
  std::chrono::duration<double, std::nano> spent = Clock::now() - start;
  return spent.count() / iterations;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  const std::string text = note_body();
  const gale::web::JsonLimits limits;

  const json parsed = json::parse(text);

  // name, and how to read one body
  struct Way {
    const char* name;
    std::function<std::size_t()> once;
    std::vector<double> ns{};
  };
  std::vector<Way> ways;
  ways.push_back({"json::parse + hand-written checks", [&] {
                    auto f = bench_api::handwritten_note_fields(json::parse(text),
                                                                bench_api::WriteMode::create);
                    return f.body->size();
                  }});
  ways.push_back({"json::parse + decode<NoteInput>", [&] {
                    return gale::web::decode<crud::NoteInput>(json::parse(text)).body.size();
                  }});
  ways.push_back({"parse_json + hand-written checks", [&] {
                    auto f = bench_api::handwritten_note_fields(gale::web::parse_json(text, limits),
                                                                bench_api::WriteMode::create);
                    return f.body->size();
                  }});
  ways.push_back({"parse_json + decode<NoteInput>", [&] {
                    auto j = gale::web::parse_json(text, limits);
                    return gale::web::decode<crud::NoteInput>(std::move(j)).body.size();
                  }});
  // The checks alone, on a copy of the parsed document (each takes its own copy).
  ways.push_back({"copy + hand-written checks", [&] {
                    json copy = parsed;
                    auto f = bench_api::handwritten_note_fields(copy, bench_api::WriteMode::create);
                    return f.body->size();
                  }});
  ways.push_back({"copy + decode<NoteInput>", [&] {
                    json copy = parsed;
                    return gale::web::decode<crud::NoteInput>(std::move(copy)).body.size();
                  }});
  // Each reads the same note.
  for (auto& w : ways) {
    if (w.once() != ways[0].once()) return 1;
  }
  // Rounds interleave the ways, so that a change of the machine's load falls on all of them.
  for (int r = 0; r < rounds; ++r) {
    for (auto& w : ways) w.ns.push_back(ns_per_body(iterations, w.once));
  }
  fmt::print("note body: {} bytes, {} rounds of {} bodies; median and fastest round\n", text.size(),
             rounds, iterations);
  for (const auto& w : ways) {
    fmt::print("  {:<36} {:8.0f} ns/body  (fastest {:6.0f})\n", w.name, median(w.ns),
               *std::min_element(w.ns.begin(), w.ns.end()));
  }
  auto ratio = [&](std::size_t a, std::size_t b) {
    return fmt::format("{:.3f} (fastest rounds {:.3f})", median(ways[a].ns) / median(ways[b].ns),
                       *std::min_element(ways[a].ns.begin(), ways[a].ns.end()) /
                           *std::min_element(ways[b].ns.begin(), ways[b].ns.end()));
  };
  fmt::print("ratio declared / hand-written, json::parse: {} (target <= 1.0)\n", ratio(1, 0));
  fmt::print("ratio declared / hand-written, parse_json:  {} (the notes API's path)\n",
             ratio(3, 2));
  fmt::print("ratio declared / hand-written, checks only: {}\n", ratio(5, 4));
  return 0;
}
