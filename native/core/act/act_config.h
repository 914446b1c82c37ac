// The ACT policy's configuration: LeRobot v0.3.3's ACTConfig fields, names and defaults, plus
// the input and output features it is built for.
//
// Legend: B is batch, S chunk size (chunk_size), D model width (dim_model), L latent width
// (latent_dim), A action dimension, J state dimension, E environment-state dimension,
// N cameras, C channels, H and W image height and width.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace robotrain {

// LeRobot's FeatureType, limited to the kinds ACT reads.
enum class FeatureType { kVisual, kState, kEnv, kAction };

// LeRobot's NormalizationMode.
enum class NormalizationMode { kIdentity, kMeanStd, kMinMax };

// The dataset keys ACT reads its inputs from (LeRobot's OBS_STATE, OBS_ENV_STATE, ACTION).
inline constexpr const char* kObservationState = "observation.state";
inline constexpr const char* kEnvironmentState = "observation.environment_state";
inline constexpr const char* kAction = "action";
inline constexpr const char* kImagePrefix = "observation.images.";

struct PolicyFeature {
  FeatureType type = FeatureType::kState;
  std::vector<int64_t> shape;
};

// Features in the order they were given: the camera order is the order of the VISUAL entries.
using Features = std::vector<std::pair<std::string, PolicyFeature>>;

struct ActConfig {
  // Input / output structure.
  int64_t n_obs_steps = 1;
  std::map<FeatureType, NormalizationMode> normalization_mapping = {
      {FeatureType::kVisual, NormalizationMode::kMeanStd},
      {FeatureType::kState, NormalizationMode::kMeanStd},
      {FeatureType::kAction, NormalizationMode::kMeanStd},
  };
  Features input_features;
  Features output_features;
  int64_t chunk_size = 100;
  int64_t n_action_steps = 100;

  // Architecture: the vision backbone.
  std::string vision_backbone = "resnet18";
  // Torchvision weights the backbone starts from, as config.json records them; null (nullopt)
  // for a random initialisation. Recorded only: the core fetches nothing, so the caller loads
  // them (Trainer::load_backbone_safetensors).
  std::optional<std::string> pretrained_backbone_weights = "ResNet18_Weights.IMAGENET1K_V1";
  bool replace_final_stride_with_dilation = false;

  // Architecture: the transformer.
  bool pre_norm = false;
  int64_t dim_model = 512;
  int64_t n_heads = 8;
  int64_t dim_feedforward = 3200;
  std::string feedforward_activation = "relu";
  int64_t n_encoder_layers = 4;
  // LeRobot keeps 1 although the original ACT code configured 7 (it only ever ran the first).
  int64_t n_decoder_layers = 1;

  // Architecture: the VAE.
  bool use_vae = true;
  int64_t latent_dim = 32;
  int64_t n_vae_encoder_layers = 4;

  // Inference.
  std::optional<double> temporal_ensemble_coeff;

  // Training and loss.
  double dropout = 0.1;
  double kl_weight = 10.0;

  // Training preset (LeRobot's AdamW preset of ACT).
  double optimizer_lr = 1e-5;
  double optimizer_weight_decay = 1e-4;
  double optimizer_lr_backbone = 1e-5;

  // Throws, naming the offending field, when the config cannot build or train a policy.
  void validate() const;

  // The VISUAL input features, in camera order.
  std::vector<std::pair<std::string, PolicyFeature>> image_features() const;
  // The STATE, ENV and ACTION features; nullopt when absent.
  std::optional<PolicyFeature> robot_state_feature() const;
  std::optional<PolicyFeature> env_state_feature() const;
  PolicyFeature action_feature() const;

  // The normalization mode of a feature type; IDENTITY when the mapping does not name it.
  NormalizationMode mode_of(FeatureType type) const;
};

// "VISUAL" -> kVisual, "MEAN_STD" -> kMeanStd, ...; throws naming the accepted values.
FeatureType feature_type_from(const std::string& name);
NormalizationMode normalization_mode_from(const std::string& name);
const char* name_of(FeatureType type);

}  // namespace robotrain
