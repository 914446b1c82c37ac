// The way a host batch reaches the trainer's device. On CUDA each entry is copied into a pinned
// (page-locked) host buffer kept from step to step, then to the device without blocking the
// host; on CPU the caller's tensors are used as they are.
//
// Legend: B is batch, S chunk size, A action dimension.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "core/policy.h"

namespace robotrain {

class HostStaging {
 public:
  // The batch on `device`. On CUDA the copies are queued on the current stream; the returned
  // tensors are ready for any work queued after them on that stream.
  Batch to_device(const Batch& batch, const torch::Device& device);

 private:
  std::map<std::string, torch::Tensor> pinned_;  // one buffer per batch entry, by name
};

}  // namespace robotrain
