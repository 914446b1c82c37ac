// What a checkpoint needs beyond the weights to continue training exactly: the AdamW moments,
// the step count and the random generators. Laid out as LeRobot lays out `training_state/`:
//
//   training_step.json            {"step": N}
//   optimizer_state.safetensors   "state/<i>/step", "state/<i>/exp_avg", "state/<i>/exp_avg_sq"
//   optimizer_param_groups.json   one object per group: lr, betas, eps, weight_decay, params
//   rng_state.safetensors         "torch_rng_state" (CPU), "torch_cuda_rng_state" (CUDA runs)
//
// `<i>` numbers the parameters group after group, as PyTorch's Optimizer.state_dict() does.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace robotrain {

// The optimizer's parameters as the trainer built them: the groups in order, each with its
// parameters in order, and each group's hyperparameters.
struct OptimizerLayout {
  struct Group {
    double lr = 0;
    double weight_decay = 0;
    std::vector<std::string> names;
    std::vector<torch::Tensor> parameters;
  };
  std::vector<Group> groups;
};

// Writes the four files into `dir` (created if missing); each file is written whole or not at
// all. `device` is where training runs, whose generator is saved beside the CPU one.
void save_training_state(const std::string& dir, torch::optim::AdamW& optimizer,
                         const OptimizerLayout& layout, int64_t step, const torch::Device& device);

// Restores what save_training_state wrote into an optimizer of the same layout, and returns the
// step. Throws, naming the file and what differs, when the state does not fit the layout
// (another config, another parameter count or shape); nothing is restored then.
int64_t load_training_state(const std::string& dir, torch::optim::AdamW& optimizer,
                            const OptimizerLayout& layout, const torch::Device& device);

}  // namespace robotrain
