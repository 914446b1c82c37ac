// A policy's state dict: its parameters and buffers by their dotted names (PyTorch's names,
// so LeRobot's files fit), and strict loading into it.
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/policy.h"

namespace robotrain {

// Parameters then buffers, by dotted name; the live tensors, not copies.
NamedTensors state_of(const torch::nn::Module& module);

// Copies `loaded` into the module's parameters and buffers, converting floating dtypes to the
// module's. Strict: every key must exist in the module with the same shape and every tensor of
// the module must be given; otherwise nothing is copied and the error lists the missing and
// unexpected keys and the shape mismatches. `source` names the origin (a path) in the message,
// `hint` what to load instead.
void load_state_strict(torch::nn::Module& module, const NamedTensors& loaded,
                       const std::string& source,
                       const std::string& hint =
                           "load a checkpoint written for this policy config (features, "
                           "chunk_size, dim_model, layer counts)");

}  // namespace robotrain
