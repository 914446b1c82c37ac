#include "core/host_staging.h"

#ifdef ROBOTRAIN_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace robotrain {

Batch HostStaging::to_device(const Batch& batch, const torch::Device& device) {
  Batch moved;
  if (!device.is_cuda()) {
    for (const auto& [name, tensor] : batch) moved[name] = tensor.to(device);  // views, no copy
    return moved;
  }

#ifdef ROBOTRAIN_WITH_CUDA
  // The previous batch's copies out of these buffers must finish before they are overwritten.
  // After a step (which waits for its loss) the stream is idle, so this costs nothing there.
  c10::cuda::getCurrentCUDAStream(device.has_index() ? device.index() : 0).synchronize();
  for (const auto& [name, tensor] : batch) {
    torch::Tensor& pinned = pinned_[name];
    if (!pinned.defined() || pinned.sizes() != tensor.sizes() ||
        pinned.scalar_type() != tensor.scalar_type()) {
      pinned = torch::empty(tensor.sizes(), tensor.options().pinned_memory(true));
    }
    pinned.copy_(tensor);
    moved[name] = pinned.to(device, pinned.scalar_type(), /*non_blocking=*/true);
  }
#endif
  return moved;
}

}  // namespace robotrain
