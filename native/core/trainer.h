// One policy, its optimizer and the training step, on the device chosen at construction.
//
// Legend: B is batch, J state dimension, S chunk size, A action dimension.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/mlp_policy.h"

namespace robotrain {

struct TrainerConfig {
  MlpPolicyConfig policy;
  double lr = 1e-3;
  double weight_decay = 1e-4;
  double grad_clip_norm = 10.0;
  uint64_t seed = 0;
  std::string device = "auto";
};

// Named tensors of one batch, by their dataset feature names:
//   "observation.state" float32 (B, J)
//   "action"            float32 (B, S, A)
//   "action_is_pad"     uint8 or bool (B, S), optional: 1 where the chunk ran past its episode
// The tensors may be views over host memory the caller owns until step() returns.
using Batch = std::map<std::string, torch::Tensor>;

struct StepResult {
  int64_t step = 0;      // optimizer updates done, this one included
  double loss = 0;       // what was minimised
  double l1_loss = 0;    // mean absolute error over the non-padded actions
  double grad_norm = 0;  // total gradient norm before clipping
};

class Trainer {
 public:
  explicit Trainer(const TrainerConfig& config);

  // Forward, backward, gradient clipping and one AdamW update. Thread-safe: calls on one
  // trainer run one at a time.
  StepResult step(const Batch& batch);

  // Parameters by name, as float32 CPU tensors (a copy, safe to read while training goes on).
  std::vector<std::pair<std::string, torch::Tensor>> state_dict();

  const DeviceChoice& device() const { return device_; }
  int64_t parameter_count() const;
  int64_t steps_done() const { return steps_done_; }

 private:
  Batch to_device(const Batch& batch) const;

  TrainerConfig config_;
  DeviceChoice device_;
  MlpPolicy policy_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t steps_done_ = 0;
  std::mutex mutex_;
};

}  // namespace robotrain
