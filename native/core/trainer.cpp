// Legend: B is batch, S chunk size, A action dimension.
#include "core/trainer.h"

#include <cmath>

#include "core/act/act_policy.h"
#include "core/act/attention.h"
#include "core/cuda_memory.h"
#include "core/safetensors.h"
#include "core/state_dict.h"

namespace robotrain {
namespace {

std::unique_ptr<Policy> make_policy(const TrainerConfig& config) {
  if (config.policy == PolicyKind::kAct)
    return std::make_unique<ActPolicy>(config.act, config.stats);
  return std::make_unique<MlpPolicyAdapter>(config.mlp);
}

torch::Tensor host_float(const torch::Tensor& tensor) {
  return tensor.detach().to(torch::kCPU, torch::kFloat).contiguous().clone();
}

}  // namespace

Trainer::Trainer(const TrainerConfig& config) : config_(config) {
  const bool act = config.policy == PolicyKind::kAct;
  if (!config_.lr) config_.lr = act ? config.act.optimizer_lr : 1e-3;
  if (!config_.lr_backbone)
    config_.lr_backbone = act ? config.act.optimizer_lr_backbone : *config_.lr;
  if (!config_.weight_decay) config_.weight_decay = act ? config.act.optimizer_weight_decay : 1e-4;
  TORCH_CHECK(*config_.lr > 0, "lr must be positive, got ", *config_.lr);
  TORCH_CHECK(*config_.lr_backbone >= 0, "lr_backbone must be >= 0, got ", *config_.lr_backbone);
  TORCH_CHECK(*config_.weight_decay >= 0, "weight_decay must be >= 0, got ", *config_.weight_decay);
  TORCH_CHECK(config.grad_clip_norm > 0, "grad_clip_norm must be positive, got ",
              config.grad_clip_norm);

  device_ = choose_device(config.device);
  precision_ = choose_precision(config.precision, device_.device);
  // cuDNN times its convolution algorithms at each new shape and keeps the fastest: batches
  // keep one shape for a whole job. A job runs alone in its process, so the global is ours.
  if (device_.device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  torch::manual_seed(config.seed);

  policy_ = make_policy(config_);
  policy_->module().to(device_.device);
  build_optimizer();
}

void Trainer::build_optimizer() {
  // LeRobot's grouping: the vision backbone at lr_backbone, everything else at lr; frozen
  // tensors (buffers) are not parameters and never reach the optimizer.
  ParamGroupInfo main{"policy", *config_.lr, *config_.weight_decay, {}};
  ParamGroupInfo backbone{"backbone", *config_.lr_backbone, *config_.weight_decay, {}};
  std::vector<torch::Tensor> main_params, backbone_params;
  for (const auto& entry : policy_->module().named_parameters()) {
    if (!entry.value().requires_grad()) continue;
    const bool in_backbone = policy_->is_backbone_parameter(entry.key());
    (in_backbone ? backbone : main).parameters.push_back(entry.key());
    (in_backbone ? backbone_params : main_params).push_back(entry.value());
  }

  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto options = [](const ParamGroupInfo& group) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(group.lr).weight_decay(group.weight_decay));
  };
  groups_.clear();
  layout_.groups.clear();
  auto add_group = [&](const ParamGroupInfo& info, const std::vector<torch::Tensor>& params) {
    if (params.empty()) return;
    groups.emplace_back(params, options(info));
    groups_.push_back(info);
    layout_.groups.push_back({info.lr, info.weight_decay, info.parameters, params});
  };
  add_group(main, main_params);
  add_group(backbone, backbone_params);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      groups, torch::optim::AdamWOptions(*config_.lr).weight_decay(*config_.weight_decay));
}

Batch Trainer::to_device(const Batch& batch) {
  // On CPU this is a no-op over the caller's memory; on CUDA it is the one host-to-device copy,
  // through pinned buffers reused from step to step.
  return staging_.to_device(batch, device_.device);
}

PolicyLoss Trainer::forward_loss(const Batch& batch, NamedTensors* trace) {
  PolicyLoss loss;
  {
    AutocastScope autocast(precision_.precision, device_.device);
    loss = policy_->forward_loss(batch, trace);
  }
  // The losses are float32 whatever the forward ran in: the backward pass starts from them.
  loss.loss = loss.loss.to(torch::kFloat);
  loss.l1_loss = loss.l1_loss.to(torch::kFloat);
  if (loss.kld_loss.defined()) loss.kld_loss = loss.kld_loss.to(torch::kFloat);
  return loss;
}

void Trainer::disable_dropout() {
  // As the reference does: dropout layers and attention (its weight dropout) in eval mode,
  // while the policy itself stays in training mode so the VAE branch runs.
  for (const auto& module : policy_->module().modules()) {
    if (std::dynamic_pointer_cast<torch::nn::DropoutImpl>(module) ||
        std::dynamic_pointer_cast<MultiheadAttentionImpl>(module)) {
      module->eval();
    }
  }
}

StepResult Trainer::step(const Batch& host_batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_->check_batch(host_batch, /*training=*/true);
  Batch batch = to_device(host_batch);

  policy_->module().train();
  optimizer_->zero_grad();
  PolicyLoss loss = forward_loss(batch);
  const double value = loss.loss.item<double>();
  TORCH_CHECK(std::isfinite(value), "loss is ", value, " at step ", steps_done_ + 1,
              "; check the batch for NaN or lower lr (", *config_.lr, ")");

  loss.loss.backward();
  const double grad_norm =
      torch::nn::utils::clip_grad_norm_(policy_->module().parameters(), config_.grad_clip_norm);
  optimizer_->step();
  steps_done_ += 1;

  StepResult result{steps_done_, value, loss.l1_loss.item<double>(), std::nullopt, grad_norm};
  if (loss.kld_loss.defined()) result.kld_loss = loss.kld_loss.item<double>();
  return result;
}

torch::Tensor Trainer::predict(const Batch& host_batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_->check_batch(host_batch, /*training=*/false);
  Batch batch = to_device(host_batch);
  AutocastScope autocast(precision_.precision, device_.device);
  return host_float(policy_->predict_chunk(batch));  // (B, S, A)
}

NamedTensors Trainer::trace(const Batch& host_batch, const TraceOptions& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_->check_batch(host_batch, /*training=*/true);
  Batch batch = to_device(host_batch);
  NamedTensors recorded;

  // The training loss and its gradients, weights untouched.
  policy_->module().train();
  if (!options.dropout) disable_dropout();
  for (auto& parameter : policy_->module().parameters()) parameter.mutable_grad() = torch::Tensor();
  PolicyLoss loss = forward_loss(batch, &recorded);
  loss.loss.backward();

  std::vector<torch::Tensor> norms;
  for (const auto& entry : policy_->module().named_parameters()) {
    const torch::Tensor& grad = entry.value().grad();
    if (!grad.defined()) continue;
    norms.push_back(grad.norm(2));                                                       // ()
    recorded.emplace_back("train.grad_norm." + entry.key(), norms.back().reshape({1}));  // (1)
  }
  if (!norms.empty()) {
    // The norm of the per-parameter norms, as clip_grad_norm_ computes it.
    recorded.emplace_back("train.grad_norm_total",
                          torch::stack(norms).norm(2).reshape({1}));  // (1)
  }
  const auto parameters = policy_->module().named_parameters();
  for (const std::string& name : options.gradients) {
    const torch::Tensor* parameter = parameters.find(name);
    TORCH_CHECK(parameter != nullptr && parameter->grad().defined(), "trace: no gradient for '",
                name, "'; name a trainable parameter of the policy");
    recorded.emplace_back("train.grad." + name, parameter->grad().clone());
  }
  for (auto& parameter : policy_->module().parameters()) parameter.mutable_grad() = torch::Tensor();

  // The inference path.
  {
    AutocastScope autocast(precision_.precision, device_.device);
    policy_->predict_chunk(batch, &recorded);
  }

  for (auto& [name, tensor] : recorded) tensor = host_float(tensor);
  return recorded;
}

StepMemory Trainer::measure_step_memory(const Batch& host_batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_CHECK(device_.device.is_cuda(), "the step memory probe reads the CUDA caching allocator ",
              "and this trainer is on ", describe_device(device_.device),
              "; plan the batch without it on CPU");
  policy_->check_batch(host_batch, /*training=*/true);
  Batch batch = to_device(host_batch);
  policy_->module().train();
  auto clear_gradients = [this] {
    for (auto& parameter : policy_->module().parameters())
      parameter.mutable_grad() = torch::Tensor();
  };

  // The first pass at a shape also runs cuDNN's algorithm search, whose trial workspaces are
  // not what a step holds: only the second pass is measured.
  StepMemory memory;
  for (int pass = 0; pass < 2; pass++) {
    clear_gradients();
    if (pass == 1) reset_cuda_peak_memory(device_.device);
    forward_loss(batch).loss.backward();
  }
  const CudaMemory after = cuda_memory(device_.device);
  clear_gradients();

  memory.peak_bytes = after.peak_allocated_bytes;
  if (steps_done_ == 0) {
    for (const auto& parameter : policy_->module().parameters()) {
      if (parameter.requires_grad()) {
        memory.optimizer_state_bytes += 2 * parameter.numel() * parameter.element_size();
      }
    }
  }
  memory.available_bytes = after.free_bytes + after.reserved_bytes;
  memory.total_bytes = after.total_bytes;
  return memory;
}

NamedTensors Trainer::state_dict() {
  std::lock_guard<std::mutex> lock(mutex_);
  NamedTensors named;
  for (const auto& [name, tensor] : state_of(policy_->module())) {
    named.emplace_back(name, host_float(tensor));
  }
  return named;
}

void Trainer::load_safetensors(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  SafetensorsFile file = read_safetensors(path);
  load_state_strict(policy_->module(), file.tensors, "'" + path + "'");
}

void Trainer::load_backbone_safetensors(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  SafetensorsFile file = read_safetensors(path);
  policy_->load_backbone(file.tensors, "'" + path + "'");
}

void Trainer::save_safetensors(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  NamedTensors named;
  for (const auto& [name, tensor] : state_of(policy_->module())) {
    named.emplace_back(name, tensor.detach().to(torch::kCPU));
  }
  write_safetensors(path, named, {{"format", "pt"}});
}

void Trainer::save_training_state(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mutex_);
  robotrain::save_training_state(dir, *optimizer_, layout_, steps_done_, device_.device);
}

void Trainer::load_training_state(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mutex_);
  steps_done_ = robotrain::load_training_state(dir, *optimizer_, layout_, device_.device);
}

int64_t Trainer::parameter_count() const {
  int64_t count = 0;
  for (const auto& parameter : policy_->module().parameters()) count += parameter.numel();
  return count;
}

}  // namespace robotrain
