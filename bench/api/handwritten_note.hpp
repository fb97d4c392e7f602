// The peer of bench_body: the notes API's hand-written validation as it was before declared types
// replaced it (examples/crud/note_validation.cpp at db7945b), kept here unchanged but for its
// names, so that the benchmark compares against what the declared type replaced.
#pragma once

#include <nlohmann/json.hpp>

#include "crud/note.hpp"

namespace bench_api {

enum class WriteMode { create, replace, patch };

crud::NoteFields handwritten_note_fields(const nlohmann::json& body, WriteMode mode);

}  // namespace bench_api
