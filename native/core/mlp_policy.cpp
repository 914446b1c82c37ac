#include "core/mlp_policy.h"

namespace robotrain {

MlpPolicyImpl::MlpPolicyImpl(const MlpPolicyConfig& config) : config_(config) {
  TORCH_CHECK(config.state_dim > 0, "state_dim must be positive, got ", config.state_dim);
  TORCH_CHECK(config.action_dim > 0, "action_dim must be positive, got ", config.action_dim);
  TORCH_CHECK(config.chunk_size > 0, "chunk_size must be positive, got ", config.chunk_size);
  TORCH_CHECK(config.hidden_dim > 0, "hidden_dim must be positive, got ", config.hidden_dim);

  net_ = register_module(
      "net", torch::nn::Sequential(
                 torch::nn::Linear(config.state_dim, config.hidden_dim), torch::nn::ReLU(),
                 torch::nn::Linear(config.hidden_dim, config.hidden_dim), torch::nn::ReLU(),
                 torch::nn::Linear(config.hidden_dim, config.chunk_size * config.action_dim)));
}

torch::Tensor MlpPolicyImpl::forward(const torch::Tensor& state) {
  const int64_t batch = state.size(0);
  torch::Tensor flat = net_->forward(state);                          // (B, S * A)
  return flat.view({batch, config_.chunk_size, config_.action_dim});  // (B, S, A)
}

}  // namespace robotrain
