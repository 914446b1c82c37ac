#include "core/device.h"

#ifdef ROBOTRAIN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace robotrain {

DeviceChoice choose_device(const std::string& requested) {
  const bool cuda_available = torch::cuda::is_available();

  if (requested == "cpu") return {torch::kCPU, ""};

  if (requested == "auto") {
    if (cuda_available) return {torch::Device(torch::kCUDA, 0), ""};
#ifdef ROBOTRAIN_WITH_CUDA
    return {torch::kCPU, "libtorch was built with CUDA but sees no CUDA device"};
#else
    return {torch::kCPU, "libtorch was built without CUDA"};
#endif
  }

  if (requested.rfind("cuda", 0) == 0) {
    torch::Device device(requested);  // throws c10::Error on a malformed index
    TORCH_CHECK(cuda_available, "device '", requested,
                "' was asked for but libtorch sees no CUDA device; ",
                "use device 'auto' or 'cpu', or build against a CUDA libtorch (LIBTORCH=...)");
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    const int64_t index = device.has_index() ? device.index() : 0;
    TORCH_CHECK(index < count, "device '", requested, "' does not exist: libtorch sees ", count,
                " CUDA device(s); check CUDA_VISIBLE_DEVICES");
    return {torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index)), ""};
  }

  TORCH_CHECK(false, "device '", requested, "' is not one of auto, cpu, cuda, cuda:<index>");
}

std::string describe_device(const torch::Device& device) {
  if (!device.is_cuda()) return "cpu";
  std::string name = "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
#ifdef ROBOTRAIN_WITH_CUDA
  const cudaDeviceProp* props =
      at::cuda::getDeviceProperties(device.has_index() ? device.index() : 0);
  name += std::string(" (") + props->name + ")";
#endif
  return name;
}

}  // namespace robotrain
