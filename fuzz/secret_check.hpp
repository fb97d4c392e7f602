// What the URI harnesses look for in every message they get: the passwords of the input string.
// Candidates are taken from the text itself (the userinfo after "user:", and the values of the
// options that hold secrets), raw and percent-decoded. Only candidates long enough and found once
// in the input count, so that a message quoting the host or the user name is not taken for a leak.
// A candidate shown in a message is a leak only if it goes away when the password is disguised
// (its letters and digits shifted) in the input: otherwise the text is the message's own (the
// fuzzer learns message fragments from the code's comparisons and makes passwords of them).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace gale::fuzz {

inline std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::size_t count_of(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto pos = text.find(part); pos != std::string_view::npos; pos = text.find(part, pos + 1)) {
    ++n;
  }
  return n;
}

// A text the parser showed for an input: what it is ("the error") and the text.
struct Shown {
  std::string what;
  std::string text;
};

class Secrets {
 public:
  explicit Secrets(std::string_view input) : input_(input) {}

  // A candidate: counted if long enough and unique in the input (raw), or absent from it while its
  // raw form is unique (decoded: the same encoded text given as another option's value decodes to
  // it too, and quoting that option is no leak).
  void add(std::string_view raw) {
    if (raw.size() < kMinLength || count_of(input_, raw) != 1) return;
    const auto at = static_cast<std::size_t>(raw.data() - input_.data());
    candidates_.push_back(Candidate{std::string(raw), at, raw.size()});
    std::string decoded = percent_decode(raw);
    if (decoded != raw && decoded.size() >= kMinLength && count_of(input_, decoded) == 0) {
      candidates_.push_back(Candidate{decoded, at, raw.size()});
    }
  }

  // "scheme://user:PASSWORD@host": the userinfo ends at the authority's first '@' for libpq, at
  // its last for libmongoc.
  enum class At { first, last };
  void add_userinfo(At which) {
    auto scheme = input_.find("://");
    if (scheme == std::string_view::npos) return;
    auto start = scheme + 3;
    auto end = input_.find_first_of("/?", start);
    auto authority =
        input_.substr(start, end == std::string_view::npos ? input_.npos : end - start);
    auto at = which == At::first ? authority.find('@') : authority.rfind('@');
    auto colon = authority.find(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) return;
    add(authority.substr(colon + 1, at - colon - 1));
  }

  // The value after "key=" up to the next separator (any of `stops`), for every occurrence.
  void add_option(std::string_view key, std::string_view stops) {
    add_option(key, stops, [](std::size_t) { return true; });
  }
  // The same, for the occurrences where `is_key(position)` says a key starts: "password=" inside
  // another value (a host name, a quoted value) is no password.
  template <class IsKey>
  void add_option(std::string_view key, std::string_view stops, IsKey is_key) {
    for (auto pos = input_.find(key); pos != std::string_view::npos;
         pos = input_.find(key, pos + 1)) {
      if (!is_key(pos)) continue;
      auto value = input_.substr(pos + key.size());
      add(value.substr(0, value.find_first_of(stops)));
    }
  }

  // Aborts (a finding) if a text of `shown` shows a candidate that `show` (the parser run on
  // an input) no longer shows once that candidate is disguised in the input.
  template <class Show>
  void check(const std::vector<Shown>& shown, Show show) const {
    for (const auto& c : candidates_) {
      for (const auto& s : shown) {
        if (s.text.find(c.text) == std::string::npos) continue;
        auto again = show(disguised(c));
        bool own_text = std::any_of(again.begin(), again.end(), [&](const Shown& other) {
          return other.text.find(c.text) != std::string::npos;
        });
        if (own_text) continue;
        std::fprintf(stderr, "password \"%s\" leaked in %s: %s\n", c.text.c_str(), s.what.c_str(),
                     s.text.c_str());
        std::abort();
      }
    }
  }

 private:
  struct Candidate {
    std::string text;
    std::size_t at;  // where its raw form is in the input
    std::size_t size;
  };

  // The input with the candidate's raw form changed, letter for letter and digit for digit
  // (punctuation kept, so the string keeps its structure).
  std::string disguised(const Candidate& c) const {
    std::string out(input_);
    for (std::size_t i = c.at; i < c.at + c.size; ++i) {
      char& ch = out[i];
      if (ch >= 'a' && ch <= 'z') {
        ch = static_cast<char>('a' + (ch - 'a' + 1) % 26);
      } else if (ch >= 'A' && ch <= 'Z') {
        ch = static_cast<char>('A' + (ch - 'A' + 1) % 26);
      } else if (ch >= '0' && ch <= '9') {
        ch = static_cast<char>('0' + (ch - '0' + 1) % 10);
      }
    }
    return out;
  }

  static constexpr std::size_t kMinLength = 6;
  std::string_view input_;
  std::vector<Candidate> candidates_;
};

}  // namespace gale::fuzz
