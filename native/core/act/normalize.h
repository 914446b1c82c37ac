// LeRobot's Normalize / Unnormalize modules: per-feature statistics held as buffers named
// `buffer_<key with dots as underscores>.{mean,std}` (MEAN_STD) or `.{min,max}` (MIN_MAX), so a
// LeRobot state dict carries them (normalize_inputs.buffer_observation_state.mean, ...).
//
// Legend: B is batch, C channels, H and W image height and width, F a feature's width, S
// chunk size.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "core/act/act_config.h"

namespace robotrain {

// Dataset statistics by feature key, then by statistic name ("mean", "std", "min", "max"); any
// shape with the buffer's number of values (images: C values, broadcast as (C, 1, 1)).
using FeatureStats = std::map<std::string, std::map<std::string, torch::Tensor>>;

// Named tensors of one batch, by dataset feature name.
using TensorMap = std::map<std::string, torch::Tensor>;

class NormalizeImpl : public torch::nn::Module {
 public:
  // `inverse` false: x -> (x - mean) / (std + 1e-8), or to [-1, 1] for MIN_MAX.
  // `inverse` true: the way back, x * std + mean (no epsilon), as LeRobot's Unnormalize.
  // Buffers start at +inf (LeRobot's "no statistics yet") unless `stats` holds them.
  NormalizeImpl(const Features& features, const ActConfig& config, const FeatureStats& stats,
                bool inverse);

  // Returns a copy of `batch` with every feature this module knows replaced by its
  // (un)normalised value; keys it does not know pass through. Images are (B, C, H, W) with
  // (C, 1, 1) statistics; vectors (B, F) or (B, S, F) with (F) statistics.
  TensorMap forward(const TensorMap& batch);

 private:
  struct Entry {
    std::string key;
    NormalizationMode mode;
    // The two statistics (mean and std, or min and max): handles onto the registered buffers.
    torch::Tensor first, second;
  };
  std::vector<Entry> entries_;
  bool inverse_;
};

TORCH_MODULE(Normalize);

}  // namespace robotrain
