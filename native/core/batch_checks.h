// Checks of a batch's named tensors shared by every policy, each failure naming the entry,
// the shape seen and the shape expected.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/policy.h"

namespace robotrain {

// "[8, 3, 96, 128]"
std::string shape_of(const torch::Tensor& tensor);

// The entry `key` of `batch`; its absence is an error saying the policy reads `what` from it.
const torch::Tensor& require_entry(const Batch& batch, const std::string& key, const char* what);

// `dims` names the expected dimensions for the message, e.g. "(B, chunk_size, action_dim)".
void check_entry_shape(const std::string& key, const torch::Tensor& tensor,
                       const std::vector<int64_t>& expected, const char* dims);

}  // namespace robotrain
