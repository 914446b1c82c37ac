// Legend: B is batch, S chunk size, A action dimension, L latent width, D model width,
// J state dimension, E environment-state dimension, H and W image height and width.
#include "core/act/act_policy.h"

#include "core/batch_checks.h"
#include "core/state_dict.h"

namespace robotrain {
namespace {

void check_float(const std::string& key, const torch::Tensor& tensor) {
  TORCH_CHECK(tensor.scalar_type() == torch::kFloat, "batch '", key, "' has dtype ",
              tensor.scalar_type(), "; expected float32");
}

// The batch size: every camera and the environment state must agree on it.
int64_t batch_size_of(const ActConfig& config, const Batch& batch) {
  const auto images = config.image_features();
  const std::string& key = images.empty() ? std::string(kEnvironmentState) : images[0].first;
  const torch::Tensor& first = require_entry(batch, key, "the batch size");
  TORCH_CHECK(first.dim() > 0 && first.size(0) > 0, "batch '", key, "' has shape ", shape_of(first),
              "; expected a leading batch dimension B > 0");
  return first.size(0);
}

}  // namespace

ActPolicyImpl::ActPolicyImpl(const ActConfig& config, const FeatureStats& stats) : config_(config) {
  config.validate();
  normalize_inputs = register_module(
      "normalize_inputs", Normalize(config.input_features, config, stats, /*inverse=*/false));
  normalize_targets = register_module(
      "normalize_targets", Normalize(config.output_features, config, stats, /*inverse=*/false));
  unnormalize_outputs = register_module(
      "unnormalize_outputs", Normalize(config.output_features, config, stats, /*inverse=*/true));
  model = register_module("model", Act(config));
}

ActPolicy::ActPolicy(const ActConfig& config, const FeatureStats& stats)
    : policy_(ActPolicyModule(config, stats)) {}

bool ActPolicy::is_backbone_parameter(const std::string& name) const {
  return name.rfind("model.backbone", 0) == 0;
}

void ActPolicy::load_backbone(const NamedTensors& weights, const std::string& source) {
  const auto modules = policy_->named_modules();
  const auto* backbone = modules.find("model.backbone");
  TORCH_CHECK(backbone != nullptr, "this ACT reads no camera, so it has no backbone to load ",
              source, " into; set pretrained_backbone_weights to null");

  auto ends_with = [](const std::string& name, const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  NamedTensors trunk;
  for (const auto& [name, tensor] : weights) {
    if (name.rfind("fc.", 0) == 0 || ends_with(name, ".num_batches_tracked")) continue;
    trunk.emplace_back(name, tensor);
  }
  load_state_strict(**backbone, trunk, source,
                    "give the ImageNet weights of the config's vision_backbone (" +
                        policy_->config().vision_backbone + ") under torchvision's names");
}

void ActPolicy::check_batch(const Batch& batch, bool training) const {
  const ActConfig& config = policy_->config();
  const int64_t b = batch_size_of(config, batch);

  for (const auto& [key, feature] : config.image_features()) {
    const torch::Tensor& image = require_entry(batch, key, "a camera image (B, 3, H, W)");
    check_entry_shape(key, image, {b, feature.shape[0], feature.shape[1], feature.shape[2]},
                      "(B, C, H, W)");
    TORCH_CHECK(image.scalar_type() == torch::kFloat || image.scalar_type() == torch::kUInt8,
                "batch '", key, "' has dtype ", image.scalar_type(),
                "; expected float32 in [0, 1] or uint8 in [0, 255]");
  }
  if (auto state = config.robot_state_feature()) {
    const torch::Tensor& tensor = require_entry(batch, kObservationState, "the robot state (B, J)");
    check_entry_shape(kObservationState, tensor, {b, state->shape[0]}, "(B, state_dim)");
    check_float(kObservationState, tensor);
  }
  if (auto env = config.env_state_feature()) {
    const torch::Tensor& tensor = require_entry(batch, kEnvironmentState, "the environment state");
    check_entry_shape(kEnvironmentState, tensor, {b, env->shape[0]}, "(B, env_state_dim)");
    check_float(kEnvironmentState, tensor);
  }
  if (!training) return;

  const int64_t action_dim = config.action_feature().shape[0];
  const torch::Tensor& action = require_entry(batch, kAction, "the target action chunk");
  check_entry_shape(kAction, action, {b, config.chunk_size, action_dim},
                    "(B, chunk_size, action_dim)");
  check_float(kAction, action);
  if (batch.count("action_is_pad")) {
    const torch::Tensor& pad = batch.at("action_is_pad");
    check_entry_shape("action_is_pad", pad, {b, config.chunk_size}, "(B, chunk_size)");
    TORCH_CHECK(pad.scalar_type() == torch::kUInt8 || pad.scalar_type() == torch::kBool,
                "batch 'action_is_pad' has dtype ", pad.scalar_type(), "; expected uint8 or bool");
  }
  if (batch.count(kVaeEps)) {
    check_entry_shape(kVaeEps, batch.at(kVaeEps), {b, config.latent_dim}, "(B, latent_dim)");
    check_float(kVaeEps, batch.at(kVaeEps));
  }
}

ActInputs ActPolicy::model_inputs(const Batch& batch, const TensorMap& normalized) const {
  const ActConfig& config = policy_->config();
  ActInputs inputs;
  if (config.robot_state_feature()) inputs.state = normalized.at(kObservationState);    // (B, J)
  if (config.env_state_feature()) inputs.env_state = normalized.at(kEnvironmentState);  // (B, E)
  for (const auto& [key, feature] : config.image_features()) {
    inputs.images.push_back(normalized.at(key));  // (B, 3, H, W)
  }
  if (normalized.count(kAction)) inputs.action = normalized.at(kAction);  // (B, S, A)
  if (batch.count("action_is_pad"))
    inputs.action_is_pad = batch.at("action_is_pad").to(torch::kBool);
  if (batch.count(kVaeEps)) inputs.vae_eps = batch.at(kVaeEps);  // (B, L)
  return inputs;
}

namespace {

// Images as float in [0, 1]: uint8 frames are scaled by 1/255, as LeRobot's datasets do.
TensorMap with_float_images(const ActConfig& config, const Batch& batch) {
  TensorMap prepared = batch;
  for (const auto& [key, feature] : config.image_features()) {
    torch::Tensor& image = prepared.at(key);
    if (image.scalar_type() == torch::kUInt8) image = image.to(torch::kFloat) / 255;
  }
  return prepared;
}

void record(NamedTensors* trace, const std::string& name, const torch::Tensor& tensor) {
  if (trace && tensor.defined()) trace->emplace_back(name, tensor);
}

}  // namespace

PolicyLoss ActPolicy::forward_loss(const Batch& batch, NamedTensors* trace) {
  const ActConfig& config = policy_->config();
  TensorMap normalized = policy_->normalize_inputs->forward(with_float_images(config, batch));
  normalized = policy_->normalize_targets->forward(normalized);
  ActOutputs out = policy_->model->forward(model_inputs(batch, normalized));

  const torch::Tensor& target = normalized.at(kAction);  // (B, S, A)
  torch::Tensor valid = batch.count("action_is_pad")
                            ? batch.at("action_is_pad").to(torch::kBool).logical_not().unsqueeze(-1)
                            : torch::ones_like(target, target.options().dtype(torch::kBool))
                                  .narrow(2, 0, 1);  // (B, S, 1)
  // Mean over every action value: padded ones add 0 to the sum but count in the mean.
  PolicyLoss loss;
  loss.l1_loss = ((target - out.actions).abs() * valid).mean();  // ()
  loss.loss = loss.l1_loss;
  if (config.use_vae) {
    TORCH_CHECK(out.mu.defined(), "the ACT loss needs the VAE branch: put the policy in training ",
                "mode");
    // KL(N(mu, sigma^2) || N(0, 1)), summed over the latent, averaged over the batch.
    loss.kld_loss = (-0.5 * (1 + out.log_sigma_x2 - out.mu.pow(2) - out.log_sigma_x2.exp()))
                        .sum(-1)
                        .mean();                                  // ()
    loss.loss = loss.l1_loss + loss.kld_loss * config.kl_weight;  // ()
  }

  record(trace, "train.action_normalized", target);
  record(trace, "train.actions_hat", out.actions);
  record(trace, "train.mu", out.mu);
  record(trace, "train.log_sigma_x2", out.log_sigma_x2);
  record(trace, "train.latent_sample", out.latent_sample);
  record(trace, "train.vae_cls_token_out", out.vae_cls_token_out);
  // Scalars as (1), the shape the reference stores them in.
  record(trace, "train.l1_loss", loss.l1_loss.reshape({1}));
  if (loss.kld_loss.defined()) record(trace, "train.kld_loss", loss.kld_loss.reshape({1}));
  record(trace, "train.loss", loss.loss.reshape({1}));
  return loss;
}

torch::Tensor ActPolicy::predict_chunk(const Batch& batch, NamedTensors* trace) {
  torch::NoGradGuard no_grad;
  policy_->eval();
  const ActConfig& config = policy_->config();
  TensorMap normalized = policy_->normalize_inputs->forward(with_float_images(config, batch));
  ActOutputs out = policy_->model->forward(model_inputs(batch, normalized));
  torch::Tensor actions =
      policy_->unnormalize_outputs->forward({{kAction, out.actions}}).at(kAction);  // (B, S, A)

  if (trace) {
    for (const auto& [key, feature] : config.input_features) {
      record(trace, "inference.normalized." + key, normalized.at(key));
    }
    const auto images = config.image_features();
    for (size_t i = 0; i < images.size(); i++) {
      record(trace, "inference.backbone_feature_map." + images[i].first, out.feature_maps[i]);
    }
    record(trace, "inference.encoder_out", out.encoder_out);
    record(trace, "inference.decoder_out", out.decoder_out);
    record(trace, "inference.actions_normalized", out.actions);
    record(trace, "inference.actions", actions);
  }
  return actions;
}

}  // namespace robotrain
