// The ACT policy as LeRobot v0.3.3's ACTPolicy: input normalisation, target normalisation and
// output unnormalisation around the ACT model, and the training loss (L1 over the real actions
// plus kl_weight times the KL divergence of the latent). Its state dict is LeRobot's:
// normalize_inputs.*, normalize_targets.*, unnormalize_outputs.*, model.*.
//
// Legend: B is batch, S chunk size, A action dimension, L latent width, D model width, N
// cameras, H and W image height and width.
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/act/act_config.h"
#include "core/act/act_model.h"
#include "core/act/normalize.h"
#include "core/policy.h"

namespace robotrain {

// The batch entry that fixes the VAE's reparameterisation noise: float32 (B, latent_dim).
// Absent, the noise is drawn from N(0, 1) as LeRobot does; given, training is reproducible
// against a reference (the golden parity test feeds LeRobot's own noise through it).
inline constexpr const char* kVaeEps = "vae_eps";

class ActPolicyImpl : public torch::nn::Module {
 public:
  ActPolicyImpl(const ActConfig& config, const FeatureStats& stats);

  const ActConfig& config() const { return config_; }

  Normalize normalize_inputs{nullptr};
  Normalize normalize_targets{nullptr};
  Normalize unnormalize_outputs{nullptr};
  Act model{nullptr};

 private:
  ActConfig config_;
};

TORCH_MODULE_IMPL(ActPolicyModule, ActPolicyImpl);

class ActPolicy : public Policy {
 public:
  ActPolicy(const ActConfig& config, const FeatureStats& stats);

  torch::nn::Module& module() override { return *policy_; }
  void check_batch(const Batch& batch, bool training) const override;
  PolicyLoss forward_loss(const Batch& batch, NamedTensors* trace = nullptr) override;
  torch::Tensor predict_chunk(const Batch& batch, NamedTensors* trace = nullptr) override;
  // LeRobot's grouping: every trainable `model.backbone.*` parameter.
  bool is_backbone_parameter(const std::string& name) const override;
  // torchvision's (or timm's) ResNet state dict, as LeRobot starts from ImageNet weights: the
  // classifier (fc.*) and batch norm's batch counters, which the trunk has no use for, are
  // passed over; every other tensor of the trunk must be given, with its shape.
  void load_backbone(const NamedTensors& weights, const std::string& source) override;

 private:
  // Normalised model inputs of a batch (images as float in [0, 1], uint8 scaled by 1/255).
  ActInputs model_inputs(const Batch& batch, const TensorMap& normalized) const;

  ActPolicyModule policy_{nullptr};
};

}  // namespace robotrain
