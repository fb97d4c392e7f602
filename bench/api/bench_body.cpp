// Parsing and validating a 1 KiB note body: the declared type (gale::web::decode<NoteInput>, what
// json_body<NoteInput>() runs after the parse) against nlohmann's plain parse plus the notes API's
// former hand-written checks (handwritten_note.cpp), in the same run, rounds interleaved.
//
//   build/bench/api/bench_body [iterations per round, 20000] [rounds, 7]
//
// Prints the median ns per body of each and the ratio declared / hand-written (target: <= 1.0);
// also the declared type behind parse_json (json_body's parse, with the size and depth limits).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
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

  auto handwritten = [&] {
    auto f = bench_api::handwritten_note_fields(json::parse(text), bench_api::WriteMode::create);
    return f.body->size();
  };
  auto declared = [&] {
    auto f = gale::web::decode<crud::NoteInput>(json::parse(text));
    return f.body.size();
  };
  auto declared_limited = [&] {
    auto f = gale::web::decode<crud::NoteInput>(gale::web::parse_json(text, limits));
    return f.body.size();
  };
  // Both read the same note.
  if (handwritten() != declared()) return 1;

  std::vector<double> h, d, dl;
  for (int r = 0; r < rounds; ++r) {
    h.push_back(ns_per_body(iterations, handwritten));
    d.push_back(ns_per_body(iterations, declared));
    dl.push_back(ns_per_body(iterations, declared_limited));
  }
  double mh = median(h), md = median(d), mdl = median(dl);
  fmt::print("note body: {} bytes, {} rounds of {} bodies, medians\n", text.size(), rounds,
             iterations);
  fmt::print("  json::parse + hand-written checks   {:8.0f} ns/body\n", mh);
  fmt::print("  json::parse + decode<NoteInput>     {:8.0f} ns/body\n", md);
  fmt::print("  parse_json (limits) + decode        {:8.0f} ns/body\n", mdl);
  fmt::print("ratio declared / hand-written: {:.3f} (target <= 1.0)\n", md / mh);
  fmt::print("ratio declared behind parse_json / hand-written: {:.3f}\n", mdl / mh);
  return 0;
}
