// The ResNet trunk ACT reads images through: torchvision's resnet18 (or resnet34) with frozen
// batch norm, kept up to layer4 — no average pooling, no fc — as LeRobot's
// IntermediateLayerGetter(return_layers={"layer4": "feature_map"}) keeps it. Module names
// follow torchvision (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, ...), so a LeRobot
// state dict loads under `model.backbone.*`.
//
// Legend: B is batch, C channels, H and W height and width (of the image or feature map).
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/act/frozen_batch_norm.h"

namespace robotrain {

// torchvision's BasicBlock: two 3x3 convolutions with a residual connection.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride);

  // x is (B, C_in, H, W); returns (B, C, H / stride, W / stride).
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  FrozenBatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};  // 1x1 conv + frozen BN, where the shape changes
};

TORCH_MODULE(BasicBlock);

class ResNetBackboneImpl : public torch::nn::Module {
 public:
  // `name` is "resnet18" or "resnet34".
  explicit ResNetBackboneImpl(const std::string& name);

  // image is (B, 3, H, W), normalised; returns layer4's feature map (B, 512, H/32, W/32)
  // (each halving rounds up, as the strided convolutions do).
  torch::Tensor forward(const torch::Tensor& image);

  // Channels of the feature map: torchvision's fc.in_features.
  static constexpr int64_t kFeatureChannels = 512;

 private:
  torch::nn::Conv2d conv1{nullptr};
  FrozenBatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};

TORCH_MODULE(ResNetBackbone);

}  // namespace robotrain
