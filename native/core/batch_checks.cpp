#include "core/batch_checks.h"

#include <sstream>

namespace robotrain {

std::string shape_of(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.sizes();
  return out.str();
}

const torch::Tensor& require_entry(const Batch& batch, const std::string& key, const char* what) {
  auto found = batch.find(key);
  TORCH_CHECK(found != batch.end(), "batch has no '", key, "'; the policy reads ", what,
              " from it");
  return found->second;
}

void check_entry_shape(const std::string& key, const torch::Tensor& tensor,
                       const std::vector<int64_t>& expected, const char* dims) {
  TORCH_CHECK(tensor.sizes() == c10::IntArrayRef(expected), "batch '", key, "' has shape ",
              shape_of(tensor), "; expected ", c10::IntArrayRef(expected), " ", dims);
}

}  // namespace robotrain
