// What the trainer needs of a policy: a loss to minimise, an action chunk to predict, and
// which of its parameters belong to the vision backbone (trained at their own learning rate).
//
// Legend: B is batch, S chunk size, A action dimension.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace robotrain {

// Named tensors of one batch, by their dataset feature names ("observation.state",
// "observation.images.<camera>", "action", "action_is_pad", ...). Tensors may be views over
// host memory the caller owns until the call that reads them returns.
using Batch = std::map<std::string, torch::Tensor>;

// Named tensors in a stable order: a state dict, or the intermediates of a traced call.
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct PolicyLoss {
  torch::Tensor loss;      // () what is minimised
  torch::Tensor l1_loss;   // () mean absolute action error, padded actions counting as 0
  torch::Tensor kld_loss;  // () KL divergence of the latent; undefined without a VAE
};

class Policy {
 public:
  virtual ~Policy() = default;

  // The module whose parameters and buffers, by name, make the policy's state dict.
  virtual torch::nn::Module& module() = 0;

  // Throws, naming the entry, when the batch cannot feed this policy; `training` also asks
  // for the targets.
  virtual void check_batch(const Batch& batch, bool training) const = 0;

  // The training loss over a batch on the policy's device. When `trace` is given, named
  // intermediates are appended to it.
  virtual PolicyLoss forward_loss(const Batch& batch, NamedTensors* trace = nullptr) = 0;

  // The action chunk (B, S, A) in robot units, in evaluation mode and without gradients.
  virtual torch::Tensor predict_chunk(const Batch& batch, NamedTensors* trace = nullptr) = 0;

  // Whether a parameter (by state-dict name) is trained at the backbone's learning rate.
  virtual bool is_backbone_parameter(const std::string& name) const { return false; }

  // Replaces the vision backbone's weights with those of an image classifier checkpoint (names
  // as the backbone's own, without the policy's prefix). `source` names the origin in messages.
  virtual void load_backbone(const NamedTensors& weights, const std::string& source) {
    TORCH_CHECK(false, "this policy has no vision backbone to load ", source, " into");
  }
};

}  // namespace robotrain
