// What the CUDA caching allocator holds on one device and what the device has free: the figures
// the batch-size probe and the step benchmark read. Every function throws on a CPU device or a
// libtorch built without CUDA.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace robotrain {

struct CudaMemory {
  int64_t allocated_bytes = 0;       // held by tensors now
  int64_t reserved_bytes = 0;        // held by the caching allocator: tensors and its cache
  int64_t peak_allocated_bytes = 0;  // since the last reset_cuda_peak_memory
  int64_t peak_reserved_bytes = 0;   // since the last reset_cuda_peak_memory
  int64_t free_bytes = 0;            // free on the device, outside every process's memory
  int64_t total_bytes = 0;
};

// Waits for the device's current stream, so that the figures include the work queued on it.
CudaMemory cuda_memory(const torch::Device& device);

void reset_cuda_peak_memory(const torch::Device& device);

}  // namespace robotrain
