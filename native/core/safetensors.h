// Reading and writing safetensors files: an 8-byte little-endian header length, a JSON header
// giving each tensor's dtype, shape and byte range (plus an optional string-to-string
// `__metadata__`), then the raw little-endian tensor bytes.
//
// Dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace robotrain {

struct SafetensorsFile {
  // In the file's header order; CPU tensors that own their memory.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  std::map<std::string, std::string> metadata;
};

// Throws, naming the path and what is wrong, when the file cannot be read or is malformed.
SafetensorsFile read_safetensors(const std::string& path);

// Writes the tensors (any device; copied to host, contiguous) sorted by name, the header
// padded with spaces to an 8-byte boundary. The file is written to `<path>.partial` and renamed,
// so a crash never leaves half a file under `path`.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace robotrain
