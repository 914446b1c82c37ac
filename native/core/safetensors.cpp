// safetensors reading and writing; see safetensors.h for the format.
#include "core/safetensors.h"

#include "core/json.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace robotrain {
namespace {

struct DtypeName {
  const char* name;
  torch::Dtype dtype;
};

constexpr DtypeName kDtypes[] = {
    {"F64", torch::kDouble},    {"F32", torch::kFloat}, {"F16", torch::kHalf},
    {"BF16", torch::kBFloat16}, {"I64", torch::kLong},  {"I32", torch::kInt},
    {"I16", torch::kShort},     {"I8", torch::kChar},   {"U8", torch::kByte},
    {"BOOL", torch::kBool},
};

torch::Dtype dtype_from(const std::string& name, const std::string& path, const std::string& key) {
  for (const auto& entry : kDtypes) {
    if (name == entry.name) return entry.dtype;
  }
  TORCH_CHECK(
      false, path, ": tensor '", key, "' has dtype '", name,
      "', which robotrain does not read (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
}

const char* name_of_dtype(torch::Dtype dtype, const std::string& key) {
  for (const auto& entry : kDtypes) {
    if (dtype == entry.dtype) return entry.name;
  }
  TORCH_CHECK(false, "tensor '", key, "' has dtype ", dtype, ", which safetensors cannot hold");
}

bool little_endian_host() {
  const uint16_t probe = 1;
  uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

torch::Tensor tensor_from_entry(const Json& entry, const std::string& key, const std::string& path,
                                const std::vector<char>& bytes, size_t data_start) {
  const Json* dtype = nullptr;
  const Json* shape = nullptr;
  const Json* offsets = nullptr;
  for (const auto& [field, value] : entry.members) {
    if (field == "dtype") dtype = &value;
    if (field == "shape") shape = &value;
    if (field == "data_offsets") offsets = &value;
  }
  TORCH_CHECK(entry.kind == Json::Kind::kObject && dtype && shape && offsets &&
                  dtype->kind == Json::Kind::kString && shape->kind == Json::Kind::kArray &&
                  offsets->kind == Json::Kind::kArray && offsets->items.size() == 2,
              path, ": header entry '", key, "' needs dtype, shape and data_offsets [begin, end]");

  std::vector<int64_t> sizes;
  for (const Json& dim : shape->items) {
    TORCH_CHECK(dim.kind == Json::Kind::kNumber && dim.number >= 0, path, ": tensor '", key,
                "' has a shape entry that is not a non-negative integer");
    sizes.push_back(static_cast<int64_t>(dim.number));
  }
  const double begin = offsets->items[0].number;
  const double end = offsets->items[1].number;
  const size_t available = bytes.size() - data_start;
  TORCH_CHECK(begin >= 0 && end >= begin && end <= static_cast<double>(available), path,
              ": tensor '", key, "' has data_offsets [", begin, ", ", end, "] outside the ",
              available, " data bytes; the file is truncated or corrupt");

  torch::Tensor tensor =
      torch::empty(sizes, torch::TensorOptions().dtype(dtype_from(dtype->text, path, key)));
  const size_t nbytes = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  TORCH_CHECK(static_cast<double>(nbytes) == end - begin, path, ": tensor '", key, "' of shape ",
              c10::IntArrayRef(sizes), " and dtype ", dtype->text, " needs ", nbytes,
              " bytes but its data_offsets span ", end - begin);
  if (nbytes > 0) {
    std::memcpy(tensor.data_ptr(), bytes.data() + data_start + static_cast<size_t>(begin), nbytes);
  }
  return tensor;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  TORCH_CHECK(little_endian_host(), "safetensors holds little-endian bytes; this host is not");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TORCH_CHECK(in.is_open(), "cannot open '", path, "': ", std::strerror(errno),
              "; check the path and its permissions");
  const std::streamsize size = in.tellg();
  in.seekg(0);
  std::vector<char> bytes(static_cast<size_t>(std::max<std::streamsize>(size, 0)));
  TORCH_CHECK(size >= 0 && in.read(bytes.data(), size), "cannot read '", path, "'");

  uint64_t header_length = 0;
  TORCH_CHECK(bytes.size() >= 8, path, ": ", bytes.size(),
              " bytes is too short for a safetensors file (8-byte header length first)");
  std::memcpy(&header_length, bytes.data(), 8);
  TORCH_CHECK(header_length <= bytes.size() - 8, path, ": the header claims ", header_length,
              " bytes but the file holds ", bytes.size(), "; is this a safetensors file?");
  const std::string header(bytes.data() + 8, static_cast<size_t>(header_length));
  const Json root = parse_json(header, path + " (safetensors header)");
  TORCH_CHECK(root.kind == Json::Kind::kObject, path, ": the header is not a JSON object");

  SafetensorsFile file;
  const size_t data_start = 8 + static_cast<size_t>(header_length);
  for (const auto& [key, entry] : root.members) {
    if (key == "__metadata__") {
      for (const auto& [name, value] : entry.members) {
        TORCH_CHECK(value.kind == Json::Kind::kString, path, ": __metadata__ '", name,
                    "' is not a string");
        file.metadata[name] = value.text;
      }
      continue;
    }
    file.tensors.emplace_back(key, tensor_from_entry(entry, key, path, bytes, data_start));
  }
  return file;
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  TORCH_CHECK(little_endian_host(), "safetensors holds little-endian bytes; this host is not");
  std::vector<std::pair<std::string, torch::Tensor>> sorted;
  for (const auto& [name, tensor] : tensors) {
    sorted.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous());
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  std::ostringstream header;
  header << "{";
  bool first = true;
  if (!metadata.empty()) {
    header << "\"__metadata__\":{";
    for (const auto& [name, value] : metadata) {
      header << (first ? "" : ",") << json_quote(name) << ":" << json_quote(value);
      first = false;
    }
    header << "}";
  }
  size_t offset = 0;
  for (size_t i = 0; i < sorted.size(); i++) {
    const auto& [name, tensor] = sorted[i];
    TORCH_CHECK(i == 0 || sorted[i - 1].first != name, "tensor '", name, "' is given twice");
    const size_t nbytes = static_cast<size_t>(tensor.numel()) * tensor.element_size();
    header << (metadata.empty() && i == 0 ? "" : ",") << json_quote(name) << ":{\"dtype\":\""
           << name_of_dtype(tensor.scalar_type(), name) << "\",\"shape\":[";
    for (int64_t d = 0; d < tensor.dim(); d++) header << (d ? "," : "") << tensor.size(d);
    header << "],\"data_offsets\":[" << offset << "," << offset + nbytes << "]}";
    offset += nbytes;
  }
  header << "}";
  std::string header_text = header.str();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // data starts 8-byte aligned

  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    TORCH_CHECK(out.is_open(), "cannot write '", partial, "': ", std::strerror(errno),
                "; check that the folder exists and is writable");
    const uint64_t header_length = header_text.size();
    out.write(reinterpret_cast<const char*>(&header_length), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const auto& [name, tensor] : sorted) {
      out.write(static_cast<const char*>(tensor.data_ptr()),
                static_cast<std::streamsize>(tensor.numel() * tensor.element_size()));
    }
    out.flush();
    TORCH_CHECK(out.good(), "writing '", partial, "' failed: ", std::strerror(errno),
                "; check the free disk space");
  }
  TORCH_CHECK(std::rename(partial.c_str(), path.c_str()) == 0, "cannot rename '", partial, "' to '",
              path, "': ", std::strerror(errno));
}

}  // namespace robotrain
