// Strict state-dict loading: every key, every shape, or nothing is copied.
#include "core/state_dict.h"

#include <map>
#include <sstream>
#include <vector>

namespace robotrain {
namespace {

// At most `limit` names, then how many more there were.
std::string listed(const std::vector<std::string>& names, size_t limit = 20) {
  std::ostringstream out;
  for (size_t i = 0; i < names.size() && i < limit; i++) out << (i ? ", " : "") << names[i];
  if (names.size() > limit) out << ", ... and " << names.size() - limit << " more";
  return out.str();
}

}  // namespace

NamedTensors state_of(const torch::nn::Module& module) {
  NamedTensors state;
  for (const auto& entry : module.named_parameters())
    state.emplace_back(entry.key(), entry.value());
  for (const auto& entry : module.named_buffers()) state.emplace_back(entry.key(), entry.value());
  return state;
}

void load_state_strict(torch::nn::Module& module, const NamedTensors& loaded,
                       const std::string& source, const std::string& hint) {
  std::map<std::string, torch::Tensor> own;
  for (const auto& [name, tensor] : state_of(module)) own.emplace(name, tensor);

  std::vector<std::string> missing, unexpected, mismatched;
  std::map<std::string, const torch::Tensor*> given;
  for (const auto& [name, tensor] : loaded) {
    given[name] = &tensor;
    auto target = own.find(name);
    if (target == own.end()) {
      unexpected.push_back(name);
    } else if (tensor.sizes() != target->second.sizes()) {
      std::ostringstream line;
      line << name << " (file " << tensor.sizes() << ", policy " << target->second.sizes() << ")";
      mismatched.push_back(line.str());
    } else if (!c10::isFloatingType(tensor.scalar_type()) &&
               c10::isFloatingType(target->second.scalar_type())) {
      std::ostringstream line;
      line << name << " (file dtype " << tensor.scalar_type() << ", policy "
           << target->second.scalar_type() << ")";
      mismatched.push_back(line.str());
    }
  }
  for (const auto& [name, tensor] : own) {
    if (!given.count(name)) missing.push_back(name);
  }

  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::ostringstream message;
    message << "state dict " << source << " does not fit the policy:";
    if (!missing.empty())
      message << " missing keys (" << missing.size() << "): " << listed(missing) << ";";
    if (!unexpected.empty()) {
      message << " unexpected keys (" << unexpected.size() << "): " << listed(unexpected) << ";";
    }
    if (!mismatched.empty()) {
      message << " mismatches (" << mismatched.size() << "): " << listed(mismatched) << ";";
    }
    message << " " << hint;
    TORCH_CHECK(false, message.str());
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : loaded) own.at(name).copy_(tensor);
}

}  // namespace robotrain
