// A small JSON reader and string quoting, for the two JSON texts the core reads: safetensors
// headers and LeRobot `config.json` files.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace robotrain {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<Json> items;                            // arrays
  std::vector<std::pair<std::string, Json>> members;  // objects, in text order

  // The member named `key` of an object; nullptr when absent or not an object.
  const Json* find(const std::string& key) const;
  // "null", "a boolean", "a number", ... for messages.
  const char* kind_name() const;
};

// Parses a whole JSON text; throws naming `origin` and the byte offset of the first error.
Json parse_json(const std::string& text, const std::string& origin);

// `text` as a JSON string literal, quotes included.
std::string json_quote(const std::string& text);

}  // namespace robotrain
