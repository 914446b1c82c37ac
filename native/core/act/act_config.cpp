// Checks of ACT's config, in LeRobot's words where LeRobot checks the same thing.
//
// Legend: C channels, H and W image height and width (of a VISUAL feature's shape).
#include "core/act/act_config.h"

#include <c10/util/ArrayRef.h>
#include <c10/util/Exception.h>

namespace robotrain {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

void check_positive(int64_t value, const char* field) {
  TORCH_CHECK(value > 0, "Got ", value, " for `", field, "`; it must be a positive integer");
}

void check_vector_feature(const std::string& key, const PolicyFeature& feature) {
  TORCH_CHECK(feature.shape.size() == 1 && feature.shape[0] > 0, "feature '", key, "' has shape ",
              c10::IntArrayRef(feature.shape),
              "; ACT reads it as a vector: give its shape as [dim] with dim > 0");
}

void check_features(const ActConfig& config) {
  int64_t states = 0;
  int64_t envs = 0;
  for (const auto& [key, feature] : config.input_features) {
    switch (feature.type) {
      case FeatureType::kVisual:
        TORCH_CHECK(starts_with(key, kImagePrefix) && key.size() > std::string(kImagePrefix).size(),
                    "VISUAL feature '", key, "' must be named '", kImagePrefix, "<camera>'");
        TORCH_CHECK(feature.shape.size() == 3 && feature.shape[0] == 3 && feature.shape[1] > 0 &&
                        feature.shape[2] > 0,
                    "VISUAL feature '", key, "' has shape ", c10::IntArrayRef(feature.shape),
                    "; the ResNet backbone reads channel-first RGB: give [3, H, W]");
        break;
      case FeatureType::kState:
        TORCH_CHECK(key == kObservationState, "STATE feature '", key, "' must be named '",
                    kObservationState, "' (ACT reads the robot state from that key)");
        check_vector_feature(key, feature);
        states++;
        break;
      case FeatureType::kEnv:
        TORCH_CHECK(key == kEnvironmentState, "ENV feature '", key, "' must be named '",
                    kEnvironmentState, "'");
        check_vector_feature(key, feature);
        envs++;
        break;
      case FeatureType::kAction:
        TORCH_CHECK(false, "input feature '", key,
                    "' has type ACTION; actions are outputs: ", "move it to the output features");
    }
  }
  TORCH_CHECK(states <= 1 && envs <= 1, "input features name the robot state ", states,
              " and the environment state ", envs, " times; give each at most once");
  TORCH_CHECK(!config.image_features().empty() || envs == 1,
              "You must provide at least one image or the environment state among the inputs ",
              "(input features hold neither '", kImagePrefix, "<camera>' nor '", kEnvironmentState,
              "')");

  TORCH_CHECK(config.output_features.size() == 1 &&
                  config.output_features[0].second.type == FeatureType::kAction &&
                  config.output_features[0].first == kAction,
              "output features must be exactly one ACTION feature named '", kAction, "', got ",
              config.output_features.size(), " output feature(s)");
  check_vector_feature(kAction, config.output_features[0].second);
}

}  // namespace

void ActConfig::validate() const {
  TORCH_CHECK(n_obs_steps == 1,
              "Multiple observation steps not handled yet. Got `n_obs_steps`=", n_obs_steps);
  check_positive(chunk_size, "chunk_size");
  check_positive(n_action_steps, "n_action_steps");
  TORCH_CHECK(n_action_steps <= chunk_size,
              "The chunk size is the upper bound for the number of action steps per model ",
              "invocation. Got ", n_action_steps, " for `n_action_steps` and ", chunk_size,
              " for `chunk_size`.");
  TORCH_CHECK(!temporal_ensemble_coeff.has_value() || n_action_steps == 1,
              "`n_action_steps` must be 1 when using temporal ensembling, got ", n_action_steps);

  TORCH_CHECK(starts_with(vision_backbone, "resnet"),
              "`vision_backbone` must be one of the ResNet variants. Got ", vision_backbone, ".");
  // Limitation: only the BasicBlock ResNets (resnet18, resnet34) are built — the Bottleneck
  // variants need their own block; add a Bottleneck block to resnet_backbone.cpp to lift it.
  TORCH_CHECK(vision_backbone == "resnet18" || vision_backbone == "resnet34", "`vision_backbone` ",
              vision_backbone, " is not built by the native core; use resnet18 or resnet34");
  TORCH_CHECK(!replace_final_stride_with_dilation,
              "Got true for `replace_final_stride_with_dilation`: torchvision's BasicBlock ",
              "(resnet18/34) does not support dilation, so LeRobot cannot build it either; set it ",
              "to false");
  check_positive(dim_model, "dim_model");
  check_positive(n_heads, "n_heads");
  TORCH_CHECK(dim_model % n_heads == 0, "Got ", dim_model, " for `dim_model` and ", n_heads,
              " for `n_heads`; dim_model must be divisible by n_heads");
  TORCH_CHECK(dim_model % 4 == 0, "Got ", dim_model,
              " for `dim_model`; the 2-D sinusoidal image embedding needs a multiple of 4");
  check_positive(dim_feedforward, "dim_feedforward");
  TORCH_CHECK(feedforward_activation == "relu" || feedforward_activation == "gelu", "Got ",
              feedforward_activation,
              " for `feedforward_activation`; use relu or gelu (glu halves the feed-forward ",
              "width, so LeRobot's layers cannot run it)");
  check_positive(n_encoder_layers, "n_encoder_layers");
  check_positive(n_decoder_layers, "n_decoder_layers");
  // The latent token enters the encoder with or without the VAE (zeros without it).
  check_positive(latent_dim, "latent_dim");
  if (use_vae) check_positive(n_vae_encoder_layers, "n_vae_encoder_layers");
  TORCH_CHECK(dropout >= 0 && dropout < 1, "Got ", dropout, " for `dropout`; use [0, 1)");
  TORCH_CHECK(kl_weight >= 0, "Got ", kl_weight, " for `kl_weight`; it must be >= 0");

  check_features(*this);
}

std::vector<std::pair<std::string, PolicyFeature>> ActConfig::image_features() const {
  std::vector<std::pair<std::string, PolicyFeature>> images;
  for (const auto& entry : input_features) {
    if (entry.second.type == FeatureType::kVisual) images.push_back(entry);
  }
  return images;
}

std::optional<PolicyFeature> ActConfig::robot_state_feature() const {
  for (const auto& [key, feature] : input_features) {
    if (feature.type == FeatureType::kState) return feature;
  }
  return std::nullopt;
}

std::optional<PolicyFeature> ActConfig::env_state_feature() const {
  for (const auto& [key, feature] : input_features) {
    if (feature.type == FeatureType::kEnv) return feature;
  }
  return std::nullopt;
}

PolicyFeature ActConfig::action_feature() const {
  for (const auto& [key, feature] : output_features) {
    if (feature.type == FeatureType::kAction) return feature;
  }
  TORCH_CHECK(false, "output features hold no ACTION feature; add '", kAction, "'");
}

NormalizationMode ActConfig::mode_of(FeatureType type) const {
  auto found = normalization_mapping.find(type);
  return found == normalization_mapping.end() ? NormalizationMode::kIdentity : found->second;
}

FeatureType feature_type_from(const std::string& name) {
  if (name == "VISUAL") return FeatureType::kVisual;
  if (name == "STATE") return FeatureType::kState;
  if (name == "ENV") return FeatureType::kEnv;
  if (name == "ACTION") return FeatureType::kAction;
  TORCH_CHECK(false, "feature type '", name, "' is not one of VISUAL, STATE, ENV, ACTION");
}

NormalizationMode normalization_mode_from(const std::string& name) {
  if (name == "MEAN_STD") return NormalizationMode::kMeanStd;
  if (name == "MIN_MAX") return NormalizationMode::kMinMax;
  if (name == "IDENTITY") return NormalizationMode::kIdentity;
  TORCH_CHECK(false, "normalization mode '", name, "' is not one of MEAN_STD, MIN_MAX, IDENTITY");
}

const char* name_of(FeatureType type) {
  switch (type) {
    case FeatureType::kVisual:
      return "VISUAL";
    case FeatureType::kState:
      return "STATE";
    case FeatureType::kEnv:
      return "ENV";
    case FeatureType::kAction:
      return "ACTION";
  }
  return "?";
}

}  // namespace robotrain
