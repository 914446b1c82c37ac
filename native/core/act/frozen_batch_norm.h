// Batch norm with fixed statistics and affine terms, as torchvision's FrozenBatchNorm2d: all
// four tensors are buffers (never trained), and the layer normalises with the stored running
// statistics in training and evaluation alike.
//
// Legend: B is batch, C channels, H and W feature-map height and width.
#pragma once

#include <torch/torch.h>

namespace robotrain {

class FrozenBatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit FrozenBatchNorm2dImpl(int64_t channels, double eps = 1e-5);

  // x is (B, C, H, W); returns (B, C, H, W).
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight, bias, running_mean, running_var;  // each (C)

 private:
  double eps_;
};

TORCH_MODULE(FrozenBatchNorm2d);

}  // namespace robotrain
