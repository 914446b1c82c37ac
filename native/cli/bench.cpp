// Legend: B is batch, S chunk size, H and W image height and width.
#include "cli/bench.h"

#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "core/act/act_config_json.h"
#include "core/act/act_policy.h"
#include "core/cuda_memory.h"
#include "core/json.h"
#include "core/mlp_policy.h"
#include "core/safetensors.h"
#include "core/trainer.h"

namespace robotrain {
namespace {

constexpr int64_t kStateDim = 6;  // a six-joint arm, as LeRobot's SO-100 datasets
constexpr int64_t kActionDim = 6;
constexpr double kMiB = 1024.0 * 1024.0;

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void apply_act_fields(ActConfig& config, const std::string& path) {
  std::ifstream in(path);
  TORCH_CHECK(in.is_open(), "cannot open '", path, "'; give --act-fields a JSON file of ",
              "ACTConfig fields");
  std::stringstream text;
  text << in.rdbuf();
  const Json fields = parse_json(text.str(), path);
  TORCH_CHECK(fields.kind == Json::Kind::kObject, path, " must hold a JSON object, got ",
              fields.kind_name());
  for (const auto& [key, value] : fields.members) set_act_field(config, key, value, path);
}

TrainerConfig bench_config(const BenchOptions& options) {
  TrainerConfig config;
  config.device = options.device;
  config.precision = options.precision;
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
  if (!options.act_fields.empty()) apply_act_fields(config.act, options.act_fields);
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
  config.act.validate();
  return config;
}

Batch bench_batch(const BenchOptions& options, int64_t chunk_size) {
  Batch batch;
  if (!options.batch_file.empty()) {
    for (auto& [name, tensor] : read_safetensors(options.batch_file).tensors) batch[name] = tensor;
    return batch;
  }
  batch["observation.state"] = torch::randn({options.batch, kStateDim});
  batch["action"] = torch::randn({options.batch, chunk_size, kActionDim});
  batch["action_is_pad"] = torch::zeros({options.batch, chunk_size}, torch::kUInt8);
  for (int64_t i = 0; i < options.cameras && options.policy == "act"; i++) {
    batch["observation.images.cam" + std::to_string(i)] =
        torch::randint(0, 256, {options.batch, 3, options.height, options.width}, torch::kUInt8);
  }
  return batch;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

double mean(const std::vector<double>& values) {
  double total = 0;
  for (double value : values) total += value;
  return values.empty() ? 0 : total / static_cast<double>(values.size());
}

// One loop's figures: step times (ms) and, on CUDA, the caching allocator's peaks.
struct LoopTimes {
  std::vector<double> step_ms;
  std::vector<double> predict_ms;
  double peak_allocated_mib = -1;  // -1 on CPU
  double peak_reserved_mib = -1;
};

void start_memory(const torch::Device& device) {
  if (device.is_cuda()) reset_cuda_peak_memory(device);
}

void end_memory(const torch::Device& device, LoopTimes& times) {
  if (!device.is_cuda()) return;
  const CudaMemory memory = cuda_memory(device);
  times.peak_allocated_mib = static_cast<double>(memory.peak_allocated_bytes) / kMiB;
  times.peak_reserved_mib = static_cast<double>(memory.peak_reserved_bytes) / kMiB;
}

LoopTimes trainer_loop(const BenchOptions& options, Trainer& trainer, const Batch& batch) {
  LoopTimes times;
  start_memory(trainer.device().device);
  for (int64_t i = 0; i < options.warmup; i++) trainer.step(batch);
  for (int64_t i = 0; i < options.steps; i++) {
    const auto start = Clock::now();
    trainer.step(batch);  // returns after .item() on the loss: the step has finished
    times.step_ms.push_back(ms_since(start));
  }
  end_memory(trainer.device().device, times);
  for (int64_t i = 0; i < options.steps; i++) {
    const auto start = Clock::now();
    trainer.predict(batch);  // copies the chunk to the host: the prediction has finished
    times.predict_ms.push_back(ms_since(start));
  }
  return times;
}

// The same step with nothing around it: the policy, AdamW and clipping on tensors already on
// the device, in the trainer's precision, for the trainer's host overhead (checks, copies,
// locking, bookkeeping).
LoopTimes bare_loop(const BenchOptions& options, const TrainerConfig& config,
                    const Batch& host_batch) {
  const torch::Device device = choose_device(config.device).device;
  const Precision precision = choose_precision(config.precision, device).precision;
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);  // as the trainer does
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

  LoopTimes times;
  start_memory(device);
  for (int64_t i = 0; i < options.warmup + options.steps; i++) {
    const auto start = Clock::now();
    optimizer.zero_grad();
    torch::Tensor loss;
    {
      AutocastScope autocast(precision, device);
      loss = policy->forward_loss(batch).loss;
    }
    loss = loss.to(torch::kFloat);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(policy->module().parameters(), config.grad_clip_norm);
    optimizer.step();
    loss.item<double>();  // waits for the device, as the trainer's step does
    if (i >= options.warmup) times.step_ms.push_back(ms_since(start));
  }
  end_memory(device, times);
  return times;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void write_loop(std::ostream& out, const char* prefix, const LoopTimes& times, int64_t batch_size) {
  const double step_mean = mean(times.step_ms);
  out << ",\"" << prefix << "StepMs\":[";
  for (size_t i = 0; i < times.step_ms.size(); i++) out << (i ? "," : "") << times.step_ms[i];
  out << "],\"" << prefix << "StepMsMedian\":" << median(times.step_ms) << ",\"" << prefix
      << "StepMsMean\":" << step_mean << ",\"" << prefix
      << "SamplesPerSecond\":" << 1000.0 * static_cast<double>(batch_size) / step_mean;
  if (times.peak_allocated_mib >= 0) {
    out << ",\"" << prefix << "PeakAllocatedMiB\":" << times.peak_allocated_mib << ",\"" << prefix
        << "PeakReservedMiB\":" << times.peak_reserved_mib;
  }
}

}  // namespace

int run_bench(const BenchOptions& options, std::ostream& out) {
  TORCH_CHECK(options.steps > 0 && options.batch > 0, "bench needs --steps and --batch > 0");
  TORCH_CHECK(options.loop == "both" || options.loop == "trainer" || options.loop == "bare",
              "bench --loop '", options.loop, "' is not one of both, trainer, bare");
  const TrainerConfig config = bench_config(options);
  const int64_t chunk_size =
      config.policy == PolicyKind::kAct ? config.act.chunk_size : config.mlp.chunk_size;
  const Batch batch = bench_batch(options, chunk_size);
  const int64_t batch_size = batch.at("action").size(0);
  const DeviceChoice device = choose_device(config.device);
  const PrecisionChoice precision = choose_precision(config.precision, device.device);

  // Written whole at the end, so a failed loop leaves no partial line.
  std::ostringstream line;
  line << "{\"policy\":\"" << options.policy << "\",\"loop\":\"" << options.loop
       << "\",\"device\":\"" << describe_device(device.device) << "\",\"precision\":\""
       << precision_name(precision.precision) << "\",\"libtorch\":\"" << TORCH_VERSION
       << "\",\"batch\":" << batch_size
       << ",\"cameras\":" << (options.policy == "act" ? options.cameras : 0) << ",\"image\":[3,"
       << options.height << "," << options.width << "],\"chunkSize\":" << chunk_size
       << ",\"dimModel\":" << (config.policy == PolicyKind::kAct ? config.act.dim_model : 0)
       << ",\"steps\":" << options.steps << ",\"warmup\":" << options.warmup;

  double trainer_median = 0, bare_median = 0;
  if (options.loop != "bare") {
    Trainer trainer(config);
    const LoopTimes times = trainer_loop(options, trainer, batch);
    trainer_median = median(times.step_ms);
    line << ",\"parameters\":" << trainer.parameter_count()
         << ",\"stepMsMedian\":" << trainer_median << ",\"stepMsMean\":" << mean(times.step_ms)
         << ",\"samplesPerSecond\":"
         << 1000.0 * static_cast<double>(batch_size) / mean(times.step_ms)
         << ",\"predictMsMedian\":" << median(times.predict_ms);
    if (times.peak_allocated_mib >= 0) {
      line << ",\"peakAllocatedMiB\":" << times.peak_allocated_mib
           << ",\"peakReservedMiB\":" << times.peak_reserved_mib;
    }
  }
  if (options.loop != "trainer") {
    const LoopTimes times = bare_loop(options, config, batch);
    bare_median = median(times.step_ms);
    write_loop(line, "bare", times, batch_size);
  }
  if (options.loop == "both") {
    line << ",\"hostOverheadPercent\":" << 100.0 * (trainer_median - bare_median) / bare_median;
  }
  line << ",\"peakRssMiB\":" << peak_rss_mib() << ",\"threads\":" << at::get_num_threads() << "}\n";
  out << line.str();
  return 0;
}

}  // namespace robotrain
