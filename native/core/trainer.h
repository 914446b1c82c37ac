// One policy (the MLP or ACT), its AdamW optimizer and the training step, on the device chosen
// at construction; also prediction, tracing against a reference, and safetensors checkpoints
// of the policy's state dict.
//
// Legend: B is batch, J state dimension, S chunk size, A action dimension.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/act/act_config.h"
#include "core/act/normalize.h"
#include "core/device.h"
#include "core/host_staging.h"
#include "core/mlp_policy.h"
#include "core/policy.h"
#include "core/precision.h"
#include "core/training_state.h"

namespace robotrain {

enum class PolicyKind { kMlp, kAct };

struct TrainerConfig {
  PolicyKind policy = PolicyKind::kMlp;
  MlpPolicyConfig mlp;
  ActConfig act;
  FeatureStats stats;  // ACT's dataset statistics; empty leaves the buffers at +inf
  // Learning rates and weight decay; unset takes the policy's preset (ACT: optimizer_lr,
  // optimizer_lr_backbone, optimizer_weight_decay; MLP: 1e-3, lr, 1e-4).
  std::optional<double> lr;
  std::optional<double> lr_backbone;
  std::optional<double> weight_decay;
  double grad_clip_norm = 10.0;
  uint64_t seed = 0;
  std::string device = "auto";
  // "auto" (bf16 autocast on a CUDA device that supports it, fp32 elsewhere), "fp32" or "bf16".
  std::string precision = "auto";
};

struct StepResult {
  int64_t step = 0;                // optimizer updates done, this one included
  double loss = 0;                 // what was minimised
  double l1_loss = 0;              // mean absolute error over the non-padded actions
  std::optional<double> kld_loss;  // ACT's KL divergence; unset without a VAE
  double grad_norm = 0;            // total gradient norm before clipping
};

// One AdamW parameter group, as built.
struct ParamGroupInfo {
  std::string name;  // "policy" or "backbone"
  double lr = 0;
  double weight_decay = 0;
  std::vector<std::string> parameters;
};

// Memory of one forward and backward pass on CUDA, for planning the largest batch that fits.
struct StepMemory {
  int64_t peak_bytes = 0;  // peak allocated during the pass: weights, gradients, activations
  // AdamW's two moments, not yet allocated before the first step (0 after it): a step's peak
  // is peak_bytes + optimizer_state_bytes.
  int64_t optimizer_state_bytes = 0;
  // What a step may use: free device memory plus what the caching allocator already holds.
  int64_t available_bytes = 0;
  int64_t total_bytes = 0;  // of the device
};

struct TraceOptions {
  // Dropout on (training as step() runs it) or off (as the golden reference was computed).
  bool dropout = false;
  // Parameters whose full gradients to return as "train.grad.<name>".
  std::vector<std::string> gradients;
};

class Trainer {
 public:
  explicit Trainer(const TrainerConfig& config);

  // Forward, backward, gradient clipping and one AdamW update. Thread-safe: calls on one
  // trainer run one at a time.
  StepResult step(const Batch& batch);

  // The action chunk (B, S, A) in robot units, as float32 on the CPU; no weights change.
  torch::Tensor predict(const Batch& batch);

  // Runs the loss and its backward pass (training mode) and the inference path (evaluation
  // mode) without updating weights, and returns named intermediates as float32 CPU tensors:
  // "inference.*", "train.*" as the policy records them, "train.grad_norm.<parameter>",
  // "train.grad_norm_total" and the gradients asked for. Gradients are cleared afterwards.
  NamedTensors trace(const Batch& batch, const TraceOptions& options);

  // Runs forward and backward on the batch (once to warm up, then measured) without updating
  // weights, and returns the peak memory of the measured pass. CUDA only: throws on CPU.
  StepMemory measure_step_memory(const Batch& batch);

  // Parameters and buffers by name, as float32 CPU copies.
  NamedTensors state_dict();

  // The policy's state dict from / to a safetensors file (strict load; `__metadata__`
  // {"format": "pt"} on save, as PyTorch's safetensors writer marks it).
  void load_safetensors(const std::string& path);
  void save_safetensors(const std::string& path);

  // The vision backbone's weights from an image classifier's safetensors file (torchvision's
  // ResNet names); the rest of the policy is untouched.
  void load_backbone_safetensors(const std::string& path);

  // The optimizer state, step count and random generators, to and from a checkpoint's
  // `training_state/` folder (see training_state.h). Loading sets steps_done().
  void save_training_state(const std::string& dir);
  void load_training_state(const std::string& dir);

  const std::vector<ParamGroupInfo>& param_groups() const { return groups_; }
  const DeviceChoice& device() const { return device_; }
  const PrecisionChoice& precision() const { return precision_; }
  int64_t parameter_count() const;
  int64_t steps_done() const { return steps_done_; }

 private:
  Batch to_device(const Batch& batch);
  PolicyLoss forward_loss(const Batch& batch, NamedTensors* trace = nullptr);
  void build_optimizer();
  void disable_dropout();

  TrainerConfig config_;
  DeviceChoice device_;
  PrecisionChoice precision_;
  HostStaging staging_;
  std::unique_ptr<Policy> policy_;
  std::vector<ParamGroupInfo> groups_;
  OptimizerLayout layout_;  // the groups' parameters, as the optimizer holds them
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t steps_done_ = 0;
  std::mutex mutex_;
};

}  // namespace robotrain
