// `robotrain-native parity <fixture-dir>`: the golden ACT check without Node. It loads a
// LeRobot fixture (config.json, model.safetensors, batch.safetensors, expected.safetensors, as
// in ../shared/fixtures/act-golden-small), runs the native ACT on it and compares every
// expected tensor with the fixture README's rule and tolerance.
#pragma once

#include <ostream>
#include <string>

namespace robotrain {

struct ParityOptions {
  std::string fixture_dir;
  std::string device = "cpu";
  // "fp32" (the fixture's own precision, tight tolerances) or "bf16" (autocast on CUDA, with
  // the provisional tolerances of parity.cpp).
  std::string precision = "fp32";
};

// Writes one line per rule category (its worst tensor) and one per failure; returns 0 when
// every expected tensor was compared and within tolerance, 1 otherwise.
int run_parity(const ParityOptions& options, std::ostream& out);

}  // namespace robotrain
