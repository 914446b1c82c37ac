#include "core/trainer.h"

#include <cmath>
#include <sstream>

namespace robotrain {
namespace {

std::string shape_of(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.sizes();
  return out.str();
}

const torch::Tensor& require(const Batch& batch, const std::string& name) {
  auto found = batch.find(name);
  TORCH_CHECK(found != batch.end(), "batch has no '", name, "'; a step needs ",
              "'observation.state' and 'action' (and optionally 'action_is_pad')");
  return found->second;
}

void check_shape(const std::string& name, const torch::Tensor& tensor,
                 std::vector<int64_t> expected, const char* dims) {
  TORCH_CHECK(tensor.sizes() == c10::IntArrayRef(expected), "batch '", name, "' has shape ",
              shape_of(tensor), "; expected ", c10::IntArrayRef(expected), " ", dims);
}

}  // namespace

Trainer::Trainer(const TrainerConfig& config) : config_(config) {
  TORCH_CHECK(config.lr > 0, "lr must be positive, got ", config.lr);
  TORCH_CHECK(config.weight_decay >= 0, "weight_decay must be >= 0, got ", config.weight_decay);
  TORCH_CHECK(config.grad_clip_norm > 0, "grad_clip_norm must be positive, got ",
              config.grad_clip_norm);

  device_ = choose_device(config.device);
  torch::manual_seed(config.seed);

  policy_ = MlpPolicy(config.policy);
  policy_->to(device_.device);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      policy_->parameters(),
      torch::optim::AdamWOptions(config.lr).weight_decay(config.weight_decay));
}

Batch Trainer::to_device(const Batch& batch) const {
  // On CPU this is a no-op over the caller's memory; on CUDA it is the one host-to-device copy.
  Batch moved;
  for (const auto& [name, tensor] : batch) moved[name] = tensor.to(device_.device);
  return moved;
}

StepResult Trainer::step(const Batch& host_batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  const MlpPolicyConfig& shape = config_.policy;

  const torch::Tensor& state_in = require(host_batch, "observation.state");
  const int64_t batch_size = state_in.dim() > 0 ? state_in.size(0) : 0;
  TORCH_CHECK(batch_size > 0, "batch 'observation.state' has shape ", shape_of(state_in),
              "; expected (B, state_dim) with B > 0");
  check_shape("observation.state", state_in, {batch_size, shape.state_dim}, "(B, state_dim)");
  check_shape("action", require(host_batch, "action"),
              {batch_size, shape.chunk_size, shape.action_dim}, "(B, chunk_size, action_dim)");
  const bool has_pad = host_batch.count("action_is_pad") > 0;
  if (has_pad) {
    check_shape("action_is_pad", host_batch.at("action_is_pad"), {batch_size, shape.chunk_size},
                "(B, chunk_size)");
  }

  Batch batch = to_device(host_batch);
  torch::Tensor state = batch.at("observation.state");  // (B, J)
  torch::Tensor action = batch.at("action");            // (B, S, A)
  // (B, S, 1): 1 where the action is real, 0 where it pads past the episode end.
  torch::Tensor valid = has_pad ? batch.at("action_is_pad").logical_not().unsqueeze(-1)
                                : torch::ones({batch_size, shape.chunk_size, 1}, state.options());

  policy_->train();
  optimizer_->zero_grad();

  torch::Tensor predicted = policy_->forward(state);  // (B, S, A)
  // Mean over every action element, padded ones counting as zero error, as LeRobot's ACT does.
  torch::Tensor l1 = ((predicted - action).abs() * valid.to(predicted.dtype())).mean();
  const double loss = l1.item<double>();
  TORCH_CHECK(std::isfinite(loss), "loss is ", loss, " at step ", steps_done_ + 1,
              "; check the batch for NaN or lower lr (", config_.lr, ")");

  l1.backward();
  const double grad_norm =
      torch::nn::utils::clip_grad_norm_(policy_->parameters(), config_.grad_clip_norm);
  optimizer_->step();
  steps_done_ += 1;

  return {steps_done_, loss, loss, grad_norm};
}

std::vector<std::pair<std::string, torch::Tensor>> Trainer::state_dict() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& entry : policy_->named_parameters()) {
    named.emplace_back(entry.key(), entry.value().detach().to(torch::kCPU, torch::kFloat).clone());
  }
  return named;
}

int64_t Trainer::parameter_count() const {
  int64_t count = 0;
  for (const auto& parameter : policy_->parameters()) count += parameter.numel();
  return count;
}

}  // namespace robotrain
