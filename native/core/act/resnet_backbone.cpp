// Legend: B is batch, C channels, H and W the image's height and width (H', W' after a
// block's stride).
#include "core/act/resnet_backbone.h"

#include <array>

namespace robotrain {
namespace {

torch::nn::Conv2d conv(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                       int64_t padding) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                               .stride(stride)
                               .padding(padding)
                               .bias(false));
}

torch::nn::Sequential make_layer(int64_t in_channels, int64_t channels, int64_t blocks,
                                 int64_t stride) {
  torch::nn::Sequential layer;
  layer->push_back(BasicBlock(in_channels, channels, stride));
  for (int64_t i = 1; i < blocks; i++) layer->push_back(BasicBlock(channels, channels, 1));
  return layer;
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride) {
  conv1 = register_module("conv1", conv(in_channels, channels, 3, stride, 1));
  bn1 = register_module("bn1", FrozenBatchNorm2d(channels));
  conv2 = register_module("conv2", conv(channels, channels, 3, 1, 1));
  bn2 = register_module("bn2", FrozenBatchNorm2d(channels));
  if (stride != 1 || in_channels != channels) {
    downsample = register_module("downsample",
                                 torch::nn::Sequential(conv(in_channels, channels, 1, stride, 0),
                                                       FrozenBatchNorm2d(channels)));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));  // (B, C, H', W')
  out = bn2->forward(conv2->forward(out));                           // (B, C, H', W')
  torch::Tensor identity = downsample ? downsample->forward(x) : x;  // (B, C, H', W')
  return torch::relu(out + identity);                                // (B, C, H', W')
}

ResNetBackboneImpl::ResNetBackboneImpl(const std::string& name) {
  // Blocks per stage: torchvision's resnet18 and resnet34.
  std::array<int64_t, 4> blocks = {2, 2, 2, 2};
  if (name == "resnet34") {
    blocks = {3, 4, 6, 3};
  } else {
    TORCH_CHECK(name == "resnet18", "vision_backbone '", name,
                "' is not built by the native core; use resnet18 or resnet34");
  }

  conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
  bn1 = register_module("bn1", FrozenBatchNorm2d(64));
  layer1 = register_module("layer1", make_layer(64, 64, blocks[0], 1));
  layer2 = register_module("layer2", make_layer(64, 128, blocks[1], 2));
  layer3 = register_module("layer3", make_layer(128, 256, blocks[2], 2));
  layer4 = register_module("layer4", make_layer(256, kFeatureChannels, blocks[3], 2));

  // torchvision's initialisation: He-normal convolutions over fan-out. Frozen batch norm is
  // not an nn.BatchNorm2d, so torchvision leaves its identity values as constructed.
  for (auto& parameter : named_parameters()) {
    if (parameter.value().dim() == 4) {
      torch::NoGradGuard no_grad;
      torch::nn::init::kaiming_normal_(parameter.value(), 0, torch::kFanOut, torch::kReLU);
    }
  }
}

torch::Tensor ResNetBackboneImpl::forward(const torch::Tensor& image) {
  torch::Tensor x = torch::relu(bn1->forward(conv1->forward(image)));        // (B, 64, H/2, W/2)
  x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);  // (B, 64, H/4, W/4)
  x = layer1->forward(x);                                                    // (B, 64, H/4, W/4)
  x = layer2->forward(x);                                                    // (B, 128, H/8, W/8)
  x = layer3->forward(x);                                                    // (B, 256, H/16, W/16)
  return layer4->forward(x);                                                 // (B, 512, H/32, W/32)
}

}  // namespace robotrain
