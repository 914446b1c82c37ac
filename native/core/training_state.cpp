#include "core/training_state.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>
#include <utility>

#include "core/json.h"
#include "core/policy.h"
#include "core/safetensors.h"

namespace robotrain {
namespace {

namespace fs = std::filesystem;
using torch::optim::AdamWParamState;

constexpr const char* kStepFile = "training_step.json";
constexpr const char* kOptimizerFile = "optimizer_state.safetensors";
constexpr const char* kGroupsFile = "optimizer_param_groups.json";
constexpr const char* kRngFile = "rng_state.safetensors";

// The optimizer keys its per-parameter state by the parameter's TensorImpl: as a string of the
// pointer in libtorch 1.x, as the pointer itself in 2.x.
template <typename StateMap>
typename StateMap::key_type state_key(const torch::Tensor& parameter) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;
    key << parameter.unsafeGetTensorImpl();
    return key.str();
  } else {
    return static_cast<Key>(parameter.unsafeGetTensorImpl());
  }
}

template <typename StateMap>
AdamWParamState* find_state(StateMap& states, const torch::Tensor& parameter) {
  auto found = states.find(state_key<StateMap>(parameter));
  if (found == states.end()) return nullptr;
  return static_cast<AdamWParamState*>(found->second.get());
}

// The shortest decimal text that reads back as the same double, as Python's repr writes it.
std::string json_number(double value) {
  char text[32];
  for (int precision = 15; precision <= 17; precision++) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

void write_text_file(const fs::path& path, const std::string& text) {
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    TORCH_CHECK(out, "cannot write '", partial.string(), "'; check that the folder is writable");
    out << text;
    out.flush();
    TORCH_CHECK(out, "writing '", partial.string(), "' failed; check the free disk space");
  }
  fs::rename(partial, path);
}

Json read_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  TORCH_CHECK(in, "cannot read '", path.string(), "'; the checkpoint's training_state is ",
              "incomplete: resume from another checkpoint");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_json(text.str(), "'" + path.string() + "'");
}

std::string param_groups_json(torch::optim::AdamW& optimizer, const OptimizerLayout& layout) {
  // The keys of PyTorch's AdamW param_groups, so the file reads like the one LeRobot writes.
  std::ostringstream json;
  json << "[\n";
  int64_t index = 0;
  for (size_t g = 0; g < layout.groups.size(); g++) {
    const auto& options =
        static_cast<const torch::optim::AdamWOptions&>(optimizer.param_groups()[g].options());
    const auto [beta1, beta2] = options.betas();
    json << "  {\n"
         << "    \"lr\": " << json_number(layout.groups[g].lr) << ",\n"
         << "    \"betas\": [" << json_number(beta1) << ", " << json_number(beta2) << "],\n"
         << "    \"eps\": " << json_number(options.eps()) << ",\n"
         << "    \"weight_decay\": " << json_number(layout.groups[g].weight_decay) << ",\n"
         << "    \"amsgrad\": " << (options.amsgrad() ? "true" : "false") << ",\n"
         << "    \"foreach\": null,\n    \"maximize\": false,\n    \"capturable\": false,\n"
         << "    \"differentiable\": false,\n    \"fused\": null,\n"
         << "    \"params\": [";
    for (size_t p = 0; p < layout.groups[g].parameters.size(); p++) {
      json << (p ? ", " : "") << index++;
    }
    json << "]\n  }" << (g + 1 < layout.groups.size() ? "," : "") << "\n";
  }
  json << "]\n";
  return json.str();
}

// The generator that draws dropout masks and the VAE noise on `device`.
at::Generator generator_of(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

NamedTensors rng_tensors(const torch::Device& device) {
  NamedTensors named;
  auto save = [&](const char* name, at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    named.emplace_back(name, generator.get_state());  // (bytes) uint8
  };
  save("torch_rng_state", generator_of(torch::kCPU));
  if (device.is_cuda()) save("torch_cuda_rng_state", generator_of(device));
  return named;
}

void restore_rng(const SafetensorsFile& file, const torch::Device& device,
                 const std::string& origin) {
  std::map<std::string, torch::Tensor> by_name(file.tensors.begin(), file.tensors.end());
  auto found = by_name.find("torch_rng_state");
  TORCH_CHECK(found != by_name.end(), origin, " has no 'torch_rng_state'; the checkpoint's ",
              "training_state is incomplete: resume from another checkpoint");
  auto restore = [](const torch::Tensor& state, at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
  };
  restore(found->second, generator_of(torch::kCPU));

  // A run that moves from CPU to CUDA has no CUDA state to restore; its CUDA draws then follow
  // the seed rather than the interrupted run.
  found = by_name.find("torch_cuda_rng_state");
  if (device.is_cuda() && found != by_name.end()) restore(found->second, generator_of(device));
}

}  // namespace

void save_training_state(const std::string& dir, torch::optim::AdamW& optimizer,
                         const OptimizerLayout& layout, int64_t step, const torch::Device& device) {
  const fs::path root(dir);
  fs::create_directories(root);

  // The moments of every parameter the optimizer has touched, on the host.
  NamedTensors moments;
  int64_t index = 0;
  for (const auto& group : layout.groups) {
    for (const torch::Tensor& parameter : group.parameters) {
      const std::string prefix = "state/" + std::to_string(index++) + "/";
      const AdamWParamState* state = find_state(optimizer.state(), parameter);
      if (state == nullptr) continue;
      moments.emplace_back(prefix + "step",
                           torch::full({}, static_cast<double>(state->step()), torch::kFloat));
      moments.emplace_back(prefix + "exp_avg", state->exp_avg().detach().cpu());
      moments.emplace_back(prefix + "exp_avg_sq", state->exp_avg_sq().detach().cpu());
    }
  }

  write_safetensors((root / kOptimizerFile).string(), moments, {{"format", "pt"}});
  write_text_file(root / kGroupsFile, param_groups_json(optimizer, layout));
  write_safetensors((root / kRngFile).string(), rng_tensors(device), {{"format", "pt"}});
  write_text_file(root / kStepFile, "{\n    \"step\": " + std::to_string(step) + "\n}\n");
}

int64_t load_training_state(const std::string& dir, torch::optim::AdamW& optimizer,
                            const OptimizerLayout& layout, const torch::Device& device) {
  const fs::path root(dir);
  const Json step_json = read_json_file(root / kStepFile);
  const Json* step = step_json.find("step");
  TORCH_CHECK(step && step->kind == Json::Kind::kNumber && step->number >= 0, "'",
              (root / kStepFile).string(), "' has no non-negative \"step\"");

  // The groups must be the ones this trainer built: same count, same parameter counts.
  const std::string groups_origin = (root / kGroupsFile).string();
  const Json groups = read_json_file(root / kGroupsFile);
  TORCH_CHECK(groups.kind == Json::Kind::kArray && groups.items.size() == layout.groups.size(), "'",
              groups_origin, "' holds ", groups.items.size(), " parameter groups; this ",
              "policy has ", layout.groups.size(), ": the checkpoint is of another config");
  for (size_t g = 0; g < layout.groups.size(); g++) {
    const Json* params = groups.items[g].find("params");
    const size_t saved = params ? params->items.size() : 0;
    TORCH_CHECK(saved == layout.groups[g].parameters.size(), "'", groups_origin, "' group ", g,
                " has ", saved, " parameters; this policy's has ",
                layout.groups[g].parameters.size(), ": the checkpoint is of another config");
  }

  // Every saved moment must fit its parameter; all are checked before any is installed.
  const std::string moments_origin = (root / kOptimizerFile).string();
  const SafetensorsFile file = read_safetensors(moments_origin);
  std::map<std::string, torch::Tensor> saved(file.tensors.begin(), file.tensors.end());
  std::vector<std::pair<torch::Tensor, std::unique_ptr<AdamWParamState>>> restored;
  int64_t index = 0;
  for (const auto& group : layout.groups) {
    for (size_t p = 0; p < group.parameters.size(); p++) {
      const torch::Tensor& parameter = group.parameters[p];
      const std::string prefix = "state/" + std::to_string(index++) + "/";
      auto take = [&](const std::string& field) {
        auto found = saved.find(prefix + field);
        if (found == saved.end()) return torch::Tensor();
        torch::Tensor tensor = found->second;
        saved.erase(found);
        return tensor;
      };
      torch::Tensor step_count = take("step");
      torch::Tensor exp_avg = take("exp_avg");
      torch::Tensor exp_avg_sq = take("exp_avg_sq");
      if (!step_count.defined() && !exp_avg.defined() && !exp_avg_sq.defined()) continue;
      TORCH_CHECK(step_count.defined() && exp_avg.defined() && exp_avg_sq.defined(), "'",
                  moments_origin, "' holds only part of the state of ", group.names[p]);
      TORCH_CHECK(exp_avg.sizes() == parameter.sizes() && exp_avg_sq.sizes() == parameter.sizes(),
                  "'", moments_origin, "': the moments of ", group.names[p], " are ",
                  exp_avg.sizes(), "; the parameter is ", parameter.sizes(),
                  ": the checkpoint is of another config");
      auto state = std::make_unique<AdamWParamState>();
      state->step(static_cast<int64_t>(std::llround(step_count.item<double>())));
      state->exp_avg(exp_avg.to(parameter.device(), parameter.scalar_type()));
      state->exp_avg_sq(exp_avg_sq.to(parameter.device(), parameter.scalar_type()));
      restored.emplace_back(parameter, std::move(state));
    }
  }
  TORCH_CHECK(saved.empty(), "'", moments_origin, "' has ", saved.size(), " entries beyond ",
              "this policy's parameters (first: '", saved.begin()->first,
              "'): the checkpoint is of another config");

  const std::string rng_origin = (root / kRngFile).string();
  const SafetensorsFile rng = read_safetensors(rng_origin);

  auto& states = optimizer.state();
  states.clear();
  for (auto& [parameter, state] : restored) {
    states[state_key<std::decay_t<decltype(states)>>(parameter)] = std::move(state);
  }
  restore_rng(rng, device, "'" + rng_origin + "'");
  return static_cast<int64_t>(step->number);
}

}  // namespace robotrain
