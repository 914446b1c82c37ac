// ACT config fields from JSON values, by LeRobot's names.
#include "core/act/act_config_json.h"

#include <c10/util/Exception.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace robotrain {
namespace {

void check_kind(const Json& value, Json::Kind kind, const std::string& field, const char* what) {
  TORCH_CHECK(value.kind == kind, field, " must be ", what, ", got ", value.kind_name());
}

int64_t integer_of(const Json& value, const std::string& field) {
  check_kind(value, Json::Kind::kNumber, field, "an integer");
  TORCH_CHECK(std::floor(value.number) == value.number, field, " must be an integer, got ",
              value.number);
  return static_cast<int64_t>(value.number);
}

double number_of(const Json& value, const std::string& field) {
  check_kind(value, Json::Kind::kNumber, field, "a number");
  return value.number;
}

const std::string& string_of(const Json& value, const std::string& field) {
  check_kind(value, Json::Kind::kString, field, "a string");
  return value.text;
}

// Fields of LeRobot's PreTrainedConfig that a config.json carries but the model does not use.
constexpr const char* kIgnoredBaseFields[] = {
    "type",    "device", "use_amp", "push_to_hub",    "repo_id",
    "private", "tags",   "license", "input_features", "output_features"};

}  // namespace

void set_act_field(ActConfig& act, const std::string& key, const Json& value,
                   const std::string& origin) {
  const std::string field = origin + "." + key;
  const std::pair<const char*, int64_t*> ints[] = {
      {"n_obs_steps", &act.n_obs_steps},
      {"chunk_size", &act.chunk_size},
      {"n_action_steps", &act.n_action_steps},
      {"dim_model", &act.dim_model},
      {"n_heads", &act.n_heads},
      {"dim_feedforward", &act.dim_feedforward},
      {"n_encoder_layers", &act.n_encoder_layers},
      {"n_decoder_layers", &act.n_decoder_layers},
      {"latent_dim", &act.latent_dim},
      {"n_vae_encoder_layers", &act.n_vae_encoder_layers},
  };
  const std::pair<const char*, double*> numbers[] = {
      {"dropout", &act.dropout},
      {"kl_weight", &act.kl_weight},
      {"optimizer_lr", &act.optimizer_lr},
      {"optimizer_weight_decay", &act.optimizer_weight_decay},
      {"optimizer_lr_backbone", &act.optimizer_lr_backbone},
  };
  const std::pair<const char*, bool*> flags[] = {
      {"replace_final_stride_with_dilation", &act.replace_final_stride_with_dilation},
      {"pre_norm", &act.pre_norm},
      {"use_vae", &act.use_vae},
  };
  for (const auto& [name, target] : ints) {
    if (key == name) return void(*target = integer_of(value, field));
  }
  for (const auto& [name, target] : numbers) {
    if (key == name) return void(*target = number_of(value, field));
  }
  for (const auto& [name, target] : flags) {
    if (key != name) continue;
    check_kind(value, Json::Kind::kBool, field, "a boolean");
    return void(*target = value.boolean);
  }
  if (key == "vision_backbone") return void(act.vision_backbone = string_of(value, field));
  if (key == "feedforward_activation") {
    return void(act.feedforward_activation = string_of(value, field));
  }
  if (key == "pretrained_backbone_weights") {
    if (value.kind == Json::Kind::kNull) return void(act.pretrained_backbone_weights.reset());
    return void(act.pretrained_backbone_weights = string_of(value, field));
  }
  if (key == "temporal_ensemble_coeff") {
    if (value.kind == Json::Kind::kNull) return void(act.temporal_ensemble_coeff.reset());
    return void(act.temporal_ensemble_coeff = number_of(value, field));
  }
  if (key == "normalization_mapping") {
    check_kind(value, Json::Kind::kObject, field, "an object");
    act.normalization_mapping.clear();  // replaced as a whole, as a config file replaces it
    for (const auto& [type, mode] : value.members) {
      act.normalization_mapping[feature_type_from(type)] =
          normalization_mode_from(string_of(mode, field + "." + type));
    }
    return;
  }
  TORCH_CHECK(false, field,
              " is not an ACT config field (give LeRobot's ACTConfig fields in snake_case; the ",
              "features go in inputFeatures / outputFeatures)");
}

Features features_from_json(const Json& value, const std::string& origin) {
  check_kind(value, Json::Kind::kObject, origin, "an object");
  Features features;
  for (const auto& [key, entry] : value.members) {
    const std::string field = origin + "." + key;
    check_kind(entry, Json::Kind::kObject, field, "{ type, shape }");
    const Json* type = entry.find("type");
    const Json* shape = entry.find("shape");
    TORCH_CHECK(type && shape, field, " needs a type and a shape");
    check_kind(*shape, Json::Kind::kArray, field + ".shape", "an array of integers");
    PolicyFeature feature;
    feature.type = feature_type_from(string_of(*type, field + ".type"));
    for (const Json& dim : shape->items) feature.shape.push_back(integer_of(dim, field + ".shape"));
    features.emplace_back(key, feature);
  }
  return features;
}

ActConfig read_lerobot_config(const std::string& path) {
  std::ifstream in(path);
  TORCH_CHECK(in.is_open(), "cannot open '", path, "': ", std::strerror(errno),
              "; give the folder or file of a LeRobot pretrained_model config.json");
  std::stringstream text;
  text << in.rdbuf();
  const Json root = parse_json(text.str(), path);
  check_kind(root, Json::Kind::kObject, path, "an object");
  const Json* type = root.find("type");
  TORCH_CHECK(type && type->kind == Json::Kind::kString && type->text == "act", path,
              ": \"type\" is ", type ? type->text : "missing", "; expected \"act\"");

  ActConfig config;
  for (const auto& [key, value] : root.members) {
    bool ignored = false;
    for (const char* base : kIgnoredBaseFields) ignored = ignored || key == base;
    if (!ignored) set_act_field(config, key, value, path);
  }
  const Json* inputs = root.find("input_features");
  const Json* outputs = root.find("output_features");
  TORCH_CHECK(inputs && outputs, path, " needs input_features and output_features");
  config.input_features = features_from_json(*inputs, path + ": input_features");
  config.output_features = features_from_json(*outputs, path + ": output_features");
  config.validate();
  return config;
}

}  // namespace robotrain
