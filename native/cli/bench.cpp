// Legend: B is batch, S chunk size, H and W image height and width.
#include "cli/bench.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "core/act/act_policy.h"
#include "core/mlp_policy.h"
#include "core/trainer.h"

namespace robotrain {
namespace {

constexpr int64_t kStateDim = 6;  // a six-joint arm, as LeRobot's SO-100 datasets
constexpr int64_t kActionDim = 6;

TrainerConfig bench_config(const BenchOptions& options) {
  TrainerConfig config;
  config.device = options.device;
  config.seed = 0;
  if (options.policy == "mlp") {
    config.mlp = {kStateDim, kActionDim, options.chunk_size, options.dim_model};
    return config;
  }
  TORCH_CHECK(options.policy == "act", "bench --policy '", options.policy,
              "' is not one of act, mlp");
  config.policy = PolicyKind::kAct;
  config.act.chunk_size = options.chunk_size;
  config.act.n_action_steps = options.chunk_size;
  config.act.dim_model = options.dim_model;
  config.act.pretrained_backbone_weights.reset();  // random weights: timing only
  config.act.input_features.push_back({"observation.state", {FeatureType::kState, {kStateDim}}});
  for (int64_t i = 0; i < options.cameras; i++) {
    const std::string key = "observation.images.cam" + std::to_string(i);
    config.act.input_features.push_back(
        {key, {FeatureType::kVisual, {3, options.height, options.width}}});
    config.stats[key] = {{"mean", torch::full({3}, 0.45)}, {"std", torch::full({3}, 0.225)}};
  }
  config.act.output_features.push_back({"action", {FeatureType::kAction, {kActionDim}}});
  for (const char* key : {"observation.state", "action"}) {
    config.stats[key] = {{"mean", torch::zeros({kStateDim})}, {"std", torch::ones({kStateDim})}};
  }
  return config;
}

Batch bench_batch(const BenchOptions& options) {
  Batch batch;
  batch["observation.state"] = torch::randn({options.batch, kStateDim});
  batch["action"] = torch::randn({options.batch, options.chunk_size, kActionDim});
  batch["action_is_pad"] = torch::zeros({options.batch, options.chunk_size}, torch::kUInt8);
  for (int64_t i = 0; i < options.cameras && options.policy == "act"; i++) {
    batch["observation.images.cam" + std::to_string(i)] =
        torch::randint(0, 256, {options.batch, 3, options.height, options.width}, torch::kUInt8);
  }
  return batch;
}

// The same step with nothing around it: the policy, AdamW and clipping on tensors already on
// the device, for the trainer's host overhead (checks, copies, locking, bookkeeping).
std::vector<double> bare_step_ms(const BenchOptions& options, const TrainerConfig& config,
                                 const Batch& host_batch) {
  const torch::Device device = choose_device(config.device).device;
  torch::manual_seed(config.seed);
  std::unique_ptr<Policy> policy;
  if (config.policy == PolicyKind::kAct) {
    policy = std::make_unique<ActPolicy>(config.act, config.stats);
  } else {
    policy = std::make_unique<MlpPolicyAdapter>(config.mlp);
  }
  policy->module().to(device);
  policy->module().train();
  torch::optim::AdamW optimizer(policy->module().parameters(), torch::optim::AdamWOptions(1e-5));
  Batch batch;
  for (const auto& [name, tensor] : host_batch) batch[name] = tensor.to(device);

  std::vector<double> times;
  for (int64_t i = 0; i < options.warmup + options.steps; i++) {
    const auto start = std::chrono::steady_clock::now();
    optimizer.zero_grad();
    PolicyLoss loss = policy->forward_loss(batch);
    loss.loss.backward();
    torch::nn::utils::clip_grad_norm_(policy->module().parameters(), config.grad_clip_norm);
    optimizer.step();
    loss.loss.item<double>();  // waits for the device, as the trainer's step does
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (i >= options.warmup) times.push_back(ms);
  }
  return times;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

}  // namespace

int run_bench(const BenchOptions& options, std::ostream& out) {
  TORCH_CHECK(options.steps > 0 && options.batch > 0, "bench needs --steps and --batch > 0");
  const TrainerConfig config = bench_config(options);
  Trainer trainer(config);
  const Batch batch = bench_batch(options);
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };

  for (int64_t i = 0; i < options.warmup; i++) trainer.step(batch);
  std::vector<double> step_ms;
  for (int64_t i = 0; i < options.steps; i++) {
    const auto start = Clock::now();
    trainer.step(batch);  // returns after .item() on the loss: the step has finished
    step_ms.push_back(ms_since(start));
  }
  std::vector<double> predict_ms;
  for (int64_t i = 0; i < options.steps; i++) {
    const auto start = Clock::now();
    trainer.predict(batch);  // copies the chunk to the host: the prediction has finished
    predict_ms.push_back(ms_since(start));
  }

  const double bare_median = median(bare_step_ms(options, config, batch));

  double total = 0;
  for (double ms : step_ms) total += ms;
  const double mean = total / static_cast<double>(step_ms.size());
  out << "{\"policy\":\"" << options.policy << "\",\"device\":\""
      << describe_device(trainer.device().device) << "\",\"batch\":" << options.batch
      << ",\"cameras\":" << (options.policy == "act" ? options.cameras : 0) << ",\"image\":[3,"
      << options.height << "," << options.width << "],\"chunkSize\":" << options.chunk_size
      << ",\"dimModel\":" << options.dim_model << ",\"parameters\":" << trainer.parameter_count()
      << ",\"steps\":" << options.steps << ",\"stepMsMean\":" << mean
      << ",\"stepMsMedian\":" << median(step_ms) << ",\"bareStepMsMedian\":" << bare_median
      << ",\"hostOverheadPercent\":" << 100.0 * (median(step_ms) - bare_median) / bare_median
      << ",\"samplesPerSecond\":" << 1000.0 * static_cast<double>(options.batch) / mean
      << ",\"predictMsMedian\":" << median(predict_ms) << ",\"threads\":" << at::get_num_threads()
      << "}\n";
  return 0;
}

}  // namespace robotrain
