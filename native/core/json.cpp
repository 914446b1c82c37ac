// A recursive-descent JSON reader: objects, arrays, strings (with \u escapes), numbers,
// true, false, null.
#include "core/json.h"

#include <c10/util/Exception.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace robotrain {
namespace {

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& origin) : text_(text), origin_(origin) {}

  Json parse_document() {
    Json value = parse_value(0);
    skip_space();
    check(pos_ == text_.size(), "trailing characters after the value");
    return value;
  }

 private:
  void check(bool ok, const char* what) const {
    TORCH_CHECK(ok, origin_, ": malformed JSON at byte ", pos_, ": ", what);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::strchr(" \t\r\n", text_[pos_]) != nullptr) pos_++;
  }

  char peek() {
    skip_space();
    check(pos_ < text_.size(), "unexpected end of the text");
    return text_[pos_];
  }

  void expect(char c) {
    check(peek() == c, "unexpected character");
    pos_++;
  }

  // Calls `item` for each element of a '[...]' or '{...}' already opened by `open`.
  template <typename Item>
  void parse_sequence(char close, Item item) {
    pos_++;
    if (peek() == close) {
      pos_++;
      return;
    }
    while (true) {
      item();
      if (peek() == ',') {
        pos_++;
        continue;
      }
      expect(close);
      return;
    }
  }

  Json parse_value(int depth) {
    check(depth < 64, "nesting too deep");
    Json value;
    const char c = peek();
    if (c == '{') {
      value.kind = Json::Kind::kObject;
      parse_sequence('}', [&]() {
        std::string key = parse_string();
        expect(':');
        value.members.emplace_back(std::move(key), parse_value(depth + 1));
      });
      return value;
    }
    if (c == '[') {
      value.kind = Json::Kind::kArray;
      parse_sequence(']', [&]() { value.items.push_back(parse_value(depth + 1)); });
      return value;
    }
    if (c == '"') {
      value.kind = Json::Kind::kString;
      value.text = parse_string();
      return value;
    }
    for (const char* word : {"true", "false", "null"}) {
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        value.kind = word[0] == 'n' ? Json::Kind::kNull : Json::Kind::kBool;
        value.boolean = word[0] == 't';
        return value;
      }
    }
    const size_t start = pos_;
    while (pos_ < text_.size() && std::strchr("+-0123456789.eE", text_[pos_]) != nullptr) pos_++;
    check(pos_ > start, "expected a value");
    value.kind = Json::Kind::kNumber;
    value.number = std::stod(text_.substr(start, pos_ - start));
    return value;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      check(pos_ < text_.size(), "unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      check(pos_ < text_.size(), "unterminated escape");
      const char escaped = text_[pos_++];
      switch (escaped) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u':
          append_utf8(out, parse_code_point());
          break;
        default:
          out += escaped;  // \" \\ \/
      }
    }
  }

  // \uXXXX, joining a surrogate pair into one code point.
  uint32_t parse_code_point() {
    auto hex4 = [this]() {
      check(pos_ + 4 <= text_.size(), "short \\u escape");
      const uint32_t code = static_cast<uint32_t>(std::stoul(text_.substr(pos_, 4), nullptr, 16));
      pos_ += 4;
      return code;
    };
    uint32_t code = hex4();
    if (code >= 0xD800 && code < 0xDC00 && text_.compare(pos_, 2, "\\u") == 0) {
      pos_ += 2;
      code = 0x10000 + ((code - 0xD800) << 10) + (hex4() - 0xDC00);
    }
    return code;
  }

  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  const std::string& text_;
  const std::string& origin_;
  size_t pos_ = 0;
};

}  // namespace

const Json* Json::find(const std::string& key) const {
  if (kind != Kind::kObject) return nullptr;
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

const char* Json::kind_name() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

Json parse_json(const std::string& text, const std::string& origin) {
  return JsonParser(text, origin).parse_document();
}

std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace robotrain
