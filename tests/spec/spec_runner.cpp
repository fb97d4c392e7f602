#include "spec/spec_runner.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace gale::spec {

std::optional<fs::path> data_dir() {
  fs::path dir;
  if (const char* env = std::getenv("GALE_MONGO_SPEC_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    dir = fs::path(GALE_SOURCE_DIR) / ".." / "shared" / "mongo-spec-tests";
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  return fs::canonical(dir, ec);
}

std::vector<fs::path> files_of(const std::string& area) {
  std::vector<fs::path> out;
  auto dir = data_dir();
  if (!dir || !fs::is_directory(*dir / area)) return out;
  for (const auto& e : fs::recursive_directory_iterator(*dir / area)) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json load(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

nlohmann::ordered_json load_ordered(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::ordered_json::parse(in);
}

void Tally::run(const std::string& name, const std::function<void()>& fn) {
  try {
    fn();
    ++passed_;
  } catch (const Skip& s) {
    ++skipped_[s.feature];
  } catch (const std::exception& e) {
    failures_.push_back(name + ": " + e.what());
  } catch (...) {
    failures_.push_back(name + ": unknown exception");
  }
}

int Tally::report() const {
  int skipped = 0;
  for (const auto& [_, n] : skipped_) skipped += n;
  std::printf("[spec] %-40s %4d passed, %3zu failed, %3d skipped\n", area_.c_str(), passed_,
              failures_.size(), skipped);
  for (const auto& [feature, n] : skipped_) {
    std::printf("[spec]     skipped %3d: %s\n", n, feature.c_str());
  }
  for (const auto& f : failures_) std::printf("[spec]     FAILED %s\n", f.c_str());
  std::fflush(stdout);
  return static_cast<int>(failures_.size());
}

int run_area(const std::string& area, const std::string& label,
             const std::function<void(const fs::path&, Tally&)>& per_file) {
  Tally tally(label);
  auto dir = data_dir();
  if (!dir) {
    std::printf(
        "[spec] %s: SKIPPED, no spec data (set GALE_MONGO_SPEC_DIR or put "
        "mongo-spec-tests in ../shared)\n",
        label.c_str());
    return 0;
  }
  auto files = files_of(area);
  if (files.empty()) {
    std::printf("[spec] %s: no JSON files under %s\n", label.c_str(), (*dir / area).c_str());
    return 1;
  }
  for (const auto& f : files) per_file(f, tally);
  return tally.report();
}

}  // namespace gale::spec
