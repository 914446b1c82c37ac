// A small policy that predicts an action chunk from the robot state alone.
//
// It is the training core's first model: small enough to train in seconds on a CPU, and
// shaped like ACT at its edges (state in, chunk of actions out, padded actions masked), so
// the step, optimizer and N-API surface around it carry over to larger policies.
//
// Legend: B is batch, J state dimension, H hidden width, S chunk size, A action dimension.
#pragma once

#include <torch/torch.h>

#include "core/policy.h"

namespace robotrain {

struct MlpPolicyConfig {
  int64_t state_dim = 0;
  int64_t action_dim = 0;
  int64_t chunk_size = 1;
  int64_t hidden_dim = 256;
};

class MlpPolicyImpl : public torch::nn::Module {
 public:
  explicit MlpPolicyImpl(const MlpPolicyConfig& config);

  // state is (B, J); returns the action chunk (B, S, A).
  torch::Tensor forward(const torch::Tensor& state);

  const MlpPolicyConfig& config() const { return config_; }

 private:
  MlpPolicyConfig config_;
  torch::nn::Sequential net_{nullptr};
};

TORCH_MODULE(MlpPolicy);

// The MLP policy as the trainer drives it: batch checks and the masked L1 loss.
class MlpPolicyAdapter : public Policy {
 public:
  explicit MlpPolicyAdapter(const MlpPolicyConfig& config);

  torch::nn::Module& module() override { return *policy_; }
  void check_batch(const Batch& batch, bool training) const override;
  PolicyLoss forward_loss(const Batch& batch, NamedTensors* trace = nullptr) override;
  torch::Tensor predict_chunk(const Batch& batch, NamedTensors* trace = nullptr) override;

 private:
  MlpPolicy policy_{nullptr};
};

}  // namespace robotrain
