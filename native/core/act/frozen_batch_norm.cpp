// Legend: B is batch, C channels, H and W feature-map height and width.
#include "core/act/frozen_batch_norm.h"

namespace robotrain {

FrozenBatchNorm2dImpl::FrozenBatchNorm2dImpl(int64_t channels, double eps) : eps_(eps) {
  // torchvision's initial values: an identity map until a state dict replaces them.
  weight = register_buffer("weight", torch::ones({channels}));               // (C)
  bias = register_buffer("bias", torch::zeros({channels}));                  // (C)
  running_mean = register_buffer("running_mean", torch::zeros({channels}));  // (C)
  running_var = register_buffer("running_var", torch::ones({channels}));     // (C)
}

torch::Tensor FrozenBatchNorm2dImpl::forward(const torch::Tensor& x) {
  // Folded into one scale and one shift per channel, in torchvision's order of operations.
  torch::Tensor scale = weight.reshape({1, -1, 1, 1}) *
                        (running_var.reshape({1, -1, 1, 1}) + eps_).rsqrt();  // (1, C, 1, 1)
  torch::Tensor shift =
      bias.reshape({1, -1, 1, 1}) - running_mean.reshape({1, -1, 1, 1}) * scale;  // (1, C, 1, 1)
  return x * scale + shift;                                                       // (B, C, H, W)
}

}  // namespace robotrain
