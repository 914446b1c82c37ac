// Legend: B is batch, J state dimension, S chunk size, A action dimension.
#include "core/mlp_policy.h"

#include "core/batch_checks.h"

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

namespace robotrain {
MlpPolicyAdapter::MlpPolicyAdapter(const MlpPolicyConfig& config) : policy_(MlpPolicy(config)) {}

void MlpPolicyAdapter::check_batch(const Batch& batch, bool training) const {
  const MlpPolicyConfig& shape = policy_->config();
  const torch::Tensor& state = require_entry(batch, "observation.state", "the robot state (B, J)");
  const int64_t batch_size = state.dim() > 0 ? state.size(0) : 0;
  TORCH_CHECK(batch_size > 0, "batch 'observation.state' has shape ", shape_of(state),
              "; expected (B, state_dim) with B > 0");
  check_entry_shape("observation.state", state, {batch_size, shape.state_dim}, "(B, state_dim)");
  if (!training) return;

  check_entry_shape("action", require_entry(batch, "action", "the target action chunk"),
                    {batch_size, shape.chunk_size, shape.action_dim},
                    "(B, chunk_size, action_dim)");
  if (batch.count("action_is_pad") > 0) {
    check_entry_shape("action_is_pad", batch.at("action_is_pad"), {batch_size, shape.chunk_size},
                      "(B, chunk_size)");
  }
}

PolicyLoss MlpPolicyAdapter::forward_loss(const Batch& batch, NamedTensors* trace) {
  const torch::Tensor& state = batch.at("observation.state");  // (B, J)
  const torch::Tensor& action = batch.at("action");            // (B, S, A)
  // (B, S, 1): 1 where the action is real, 0 where it pads past the episode end.
  torch::Tensor valid =
      batch.count("action_is_pad") > 0
          ? batch.at("action_is_pad").logical_not().unsqueeze(-1).to(action.dtype())
          : torch::ones({state.size(0), policy_->config().chunk_size, 1}, action.options());

  torch::Tensor predicted = policy_->forward(state);  // (B, S, A)
  // Mean over every action element, padded ones counting as zero error, as LeRobot's ACT does.
  PolicyLoss loss;
  loss.l1_loss = ((predicted - action).abs() * valid).mean();  // ()
  loss.loss = loss.l1_loss;
  if (trace) {
    trace->emplace_back("train.actions_hat", predicted);
    trace->emplace_back("train.l1_loss", loss.l1_loss.reshape({1}));
    trace->emplace_back("train.loss", loss.loss.reshape({1}));
  }
  return loss;
}

torch::Tensor MlpPolicyAdapter::predict_chunk(const Batch& batch, NamedTensors* trace) {
  torch::NoGradGuard no_grad;
  policy_->eval();
  torch::Tensor actions = policy_->forward(batch.at("observation.state"));  // (B, S, A)
  if (trace) trace->emplace_back("inference.actions", actions);
  return actions;
}

}  // namespace robotrain
