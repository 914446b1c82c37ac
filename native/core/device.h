// The one place where a training device is chosen.
#pragma once

#include <torch/torch.h>

#include <string>

namespace robotrain {

struct DeviceChoice {
  torch::Device device = torch::kCPU;
  // Why the choice is CPU although CUDA could have been used; empty when nothing fell back.
  std::string fallback_reason;
};

// `requested` is "auto", "cpu" or "cuda" (or "cuda:<index>"). "auto" takes CUDA when
// libtorch sees a device and falls back to CPU, saying why; an explicit "cuda" that cannot
// be honoured throws, since training a large job on CPU by surprise wastes hours.
DeviceChoice choose_device(const std::string& requested);

// A short human name: "cpu", or "cuda:0 (NVIDIA H200)" where libtorch was built with CUDA.
std::string describe_device(const torch::Device& device);

}  // namespace robotrain
