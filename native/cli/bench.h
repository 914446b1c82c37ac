// `robotrain-native bench`: times the training step and the prediction of a policy on one batch,
// beside a bare libtorch loop of the same step on the same tensors (the trainer's host overhead,
// DESIGN.md's < 5% target), as one JSON line, so a GPU box can be measured without Node.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace robotrain {

struct BenchOptions {
  std::string policy = "act";  // "act" (LeRobot's default ACT, random weights) or "mlp"
  std::string device = "auto";
  std::string precision = "auto";
  // "both", "trainer" (the Trainer's step and prediction) or "bare" (the bare loop alone), so
  // that each loop's peak memory can be measured in a process of its own.
  std::string loop = "both";
  int64_t steps = 10;
  int64_t warmup = 2;
  int64_t batch = 8;
  int64_t cameras = 1;
  int64_t height = 480;
  int64_t width = 640;
  int64_t chunk_size = 100;
  int64_t dim_model = 512;
  // A JSON object of ACTConfig fields by LeRobot's names, applied over the two above; empty
  // for none.
  std::string act_fields;
  // A safetensors file holding the batch (as the Node benchmark assembled it); empty for a
  // synthetic one of the shapes above.
  std::string batch_file;
};

// Returns 0 after writing the JSON line.
int run_bench(const BenchOptions& options, std::ostream& out);

}  // namespace robotrain
