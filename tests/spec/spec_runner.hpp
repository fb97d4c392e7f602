// The spec-test runner's common part: where the data is, which files an area has, and the tally
// that prints passed / failed / skipped per area (each skip names the feature it needs).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gale::spec {

namespace fs = std::filesystem;

// GALE_MONGO_SPEC_DIR, else <repo>/../shared/mongo-spec-tests; nullopt when it does not exist.
std::optional<fs::path> data_dir();

// Every *.json under data_dir()/area (recursively), sorted.
std::vector<fs::path> files_of(const std::string& area);

nlohmann::json load(const fs::path& file);
nlohmann::ordered_json load_ordered(const fs::path& file);

// Thrown by a case to skip itself, naming the unsupported feature.
struct Skip {
  std::string feature;
};

class Tally {
 public:
  explicit Tally(std::string area) : area_(std::move(area)) {}
  // Runs one case: it passes when fn returns, fails on any exception but Skip.
  void run(const std::string& name, const std::function<void()>& fn);
  // Prints the summary (and every failure) and returns the number of failures.
  int report() const;
  int passed() const { return passed_; }

 private:
  std::string area_;
  int passed_ = 0;
  std::vector<std::string> failures_;
  std::map<std::string, int> skipped_;  // by feature
};

// Runs `area` over its files with `per_file`; a missing data directory is a visible skip.
// Returns the number of failures.
int run_area(const std::string& area, const std::string& label,
             const std::function<void(const fs::path&, Tally&)>& per_file);

}  // namespace gale::spec
