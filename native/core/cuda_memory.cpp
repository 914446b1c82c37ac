#include "core/cuda_memory.h"

#include "core/device.h"

#ifdef ROBOTRAIN_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <dlfcn.h>
#endif

namespace robotrain {
namespace {

void check_cuda(const torch::Device& device) {
  TORCH_CHECK(device.is_cuda(), "CUDA memory figures need a CUDA device, got ",
              describe_device(device), "; measure memory on a GPU box");
#ifndef ROBOTRAIN_WITH_CUDA
  TORCH_CHECK(false, "CUDA memory figures need a libtorch built with CUDA; rebuild against one ",
              "(LIBTORCH=... or a python3 with CUDA torch)");
#endif
}

#ifdef ROBOTRAIN_WITH_CUDA
c10::DeviceIndex index_of(const torch::Device& device) {
  return device.has_index() ? device.index() : 0;
}

// Free and total bytes of the device, from the CUDA runtime libtorch itself loaded. It is looked
// up through c10_cuda, which links it, because its file name differs between the pip wheels and
// the libtorch zip (libcudart.so.12, libcudart-<hash>.so.12), so it cannot be linked here.
std::pair<int64_t, int64_t> device_free_total(const torch::Device& device) {
  void* c10_cuda = dlopen("libc10_cuda.so", RTLD_LAZY | RTLD_NOLOAD);
  TORCH_CHECK(c10_cuda != nullptr, "libc10_cuda.so is not loaded, so the CUDA runtime cannot be ",
              "found to read free device memory; run against a CUDA libtorch");
  auto* mem_get_info =
      reinterpret_cast<decltype(&cudaMemGetInfo)>(dlsym(c10_cuda, "cudaMemGetInfo"));
  dlclose(c10_cuda);
  TORCH_CHECK(mem_get_info != nullptr, "the CUDA runtime loaded by libc10_cuda.so has no ",
              "cudaMemGetInfo; check the libtorch install");

  c10::cuda::CUDAGuard guard(index_of(device));
  size_t free = 0, total = 0;
  const cudaError_t status = mem_get_info(&free, &total);
  TORCH_CHECK(status == cudaSuccess, "cudaMemGetInfo on ", describe_device(device),
              " failed with CUDA error ", static_cast<int>(status), "; check nvidia-smi");
  return {static_cast<int64_t>(free), static_cast<int64_t>(total)};
}
#endif

}  // namespace

CudaMemory cuda_memory(const torch::Device& device) {
  check_cuda(device);
  CudaMemory memory;
#ifdef ROBOTRAIN_WITH_CUDA
  c10::cuda::getCurrentCUDAStream(index_of(device)).synchronize();
  // Index 0 of each statistic is the aggregate over small and large pools, in every version.
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index_of(device));
  memory.allocated_bytes = stats.allocated_bytes[0].current;
  memory.reserved_bytes = stats.reserved_bytes[0].current;
  memory.peak_allocated_bytes = stats.allocated_bytes[0].peak;
  memory.peak_reserved_bytes = stats.reserved_bytes[0].peak;
  std::tie(memory.free_bytes, memory.total_bytes) = device_free_total(device);
#endif
  return memory;
}

void reset_cuda_peak_memory(const torch::Device& device) {
  check_cuda(device);
#ifdef ROBOTRAIN_WITH_CUDA
  c10::cuda::getCurrentCUDAStream(index_of(device)).synchronize();
  c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
#endif
}

}  // namespace robotrain
