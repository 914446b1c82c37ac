// Legend: B is batch, C channels, F a feature's width, S chunk size.
#include "core/act/normalize.h"

#include <limits>
#include <memory>

namespace robotrain {
namespace {

std::string buffer_name(const std::string& key) {
  std::string name = "buffer_" + key;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

std::vector<int64_t> stats_shape(const PolicyFeature& feature) {
  if (feature.type == FeatureType::kVisual) return {feature.shape[0], 1, 1};  // (C, 1, 1)
  return feature.shape;                                                       // (F)
}

torch::Tensor initial_buffer(const std::string& key, const std::string& stat,
                             const std::vector<int64_t>& shape, const FeatureStats& stats) {
  torch::Tensor buffer = torch::full(shape, std::numeric_limits<float>::infinity());
  auto feature = stats.find(key);
  if (feature == stats.end()) return buffer;
  auto given = feature->second.find(stat);
  if (given == feature->second.end()) return buffer;
  TORCH_CHECK(given->second.numel() == buffer.numel(), "stats['", key, "']['", stat, "'] holds ",
              given->second.numel(), " values; the feature needs ", buffer.numel(), " (shape ",
              c10::IntArrayRef(shape), ")");
  return given->second.detach().to(torch::kFloat).reshape(shape).clone();
}

}  // namespace

NormalizeImpl::NormalizeImpl(const Features& features, const ActConfig& config,
                             const FeatureStats& stats, bool inverse)
    : inverse_(inverse) {
  for (const auto& [key, feature] : features) {
    const NormalizationMode mode = config.mode_of(feature.type);
    if (mode == NormalizationMode::kIdentity) continue;

    auto buffers = std::make_shared<torch::nn::Module>();
    const std::vector<int64_t> shape = stats_shape(feature);
    const bool mean_std = mode == NormalizationMode::kMeanStd;
    const char* first = mean_std ? "mean" : "min";
    const char* second = mean_std ? "std" : "max";
    Entry entry{key, mode,
                buffers->register_buffer(first, initial_buffer(key, first, shape, stats)),
                buffers->register_buffer(second, initial_buffer(key, second, shape, stats))};
    register_module(buffer_name(key), buffers);
    entries_.push_back(entry);
  }
}

TensorMap NormalizeImpl::forward(const TensorMap& batch) {
  TensorMap out = batch;
  for (const Entry& entry : entries_) {
    auto found = out.find(entry.key);
    if (found == out.end()) continue;
    const bool mean_std = entry.mode == NormalizationMode::kMeanStd;
    const torch::Tensor& first = entry.first;    // mean or min: (F) or (C, 1, 1)
    const torch::Tensor& second = entry.second;  // std or max: (F) or (C, 1, 1)
    TORCH_CHECK(!torch::isinf(first).any().item<bool>() && !torch::isinf(second).any().item<bool>(),
                "the statistics of '", entry.key, "' are infinity: give `stats` when building ",
                "the policy, or load a pretrained state dict");

    const torch::Tensor& x = found->second;  // (B, C, H, W), (B, F) or (B, S, F)
    if (mean_std) {
      found->second = inverse_ ? x * second + first : (x - first) / (second + 1e-8);
    } else if (inverse_) {
      found->second = (x + 1) / 2 * (second - first) + first;  // [-1, 1] -> [min, max]
    } else {
      found->second = (x - first) / (second - first + 1e-8) * 2 - 1;  // [min, max] -> [-1, 1]
    }
  }
  return out;
}

}  // namespace robotrain
