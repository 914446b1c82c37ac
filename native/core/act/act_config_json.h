// ACTConfig from JSON: one field at a time by LeRobot's snake_case name (what the addon gets
// from JavaScript), features as in `input_features`, and a whole LeRobot v0.3.x `config.json`.
#pragma once

#include <string>

#include "core/act/act_config.h"
#include "core/json.h"

namespace robotrain {

// Sets the field `key` of `config`; throws "<origin>.<key> ..." when the field is unknown or
// the value has the wrong kind.
void set_act_field(ActConfig& config, const std::string& key, const Json& value,
                   const std::string& origin);

// `{"observation.state": {"type": "STATE", "shape": [6]}, ...}`, in the given order.
Features features_from_json(const Json& value, const std::string& origin);

// A LeRobot `config.json` of `"type": "act"`: its ACT fields and features. PreTrainedConfig
// fields that do not shape the model (device, use_amp, push_to_hub, repo_id, ...) are skipped.
ActConfig read_lerobot_config(const std::string& path);

}  // namespace robotrain
