// N-API bindings of the training core. Nothing here trains: it converts between JavaScript
// values and the core's types, runs the trainer's calls on the libuv thread pool, and turns
// C++ exceptions into JavaScript errors carrying the same message.
#include <dlfcn.h>
#include <napi.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/act/act_config_json.h"
#include "core/call_thread.h"
#include "core/cuda_memory.h"
#include "core/device.h"
#include "core/json.h"
#include "core/trainer.h"
#include "mapped_file.h"

namespace {

using robotrain::Batch;
using robotrain::NamedTensors;
using robotrain::StepMemory;
using robotrain::StepResult;
using robotrain::TraceOptions;
using robotrain::Trainer;
using robotrain::TrainerConfig;

// c10::Error::what() appends a C++ backtrace; JavaScript callers want the message alone.
std::string message_of(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) {
    return torch_error->what_without_backtrace();
  }
  return error.what();
}

// ---- JavaScript values to C++ --------------------------------------------------------------

[[noreturn]] void type_error(const Napi::Env& env, const std::string& field, const char* what) {
  throw Napi::TypeError::New(env, field + " must be " + what);
}

double as_number(const Napi::Value& value, const std::string& field) {
  if (!value.IsNumber()) type_error(value.Env(), field, "a number");
  return value.As<Napi::Number>().DoubleValue();
}

int64_t as_int(const Napi::Value& value, const std::string& field) {
  const double number = as_number(value, field);
  if (std::floor(number) != number) type_error(value.Env(), field, "an integer");
  return static_cast<int64_t>(number);
}

bool as_bool(const Napi::Value& value, const std::string& field) {
  if (!value.IsBoolean()) type_error(value.Env(), field, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string as_string(const Napi::Value& value, const std::string& field) {
  if (!value.IsString()) type_error(value.Env(), field, "a string");
  return value.As<Napi::String>().Utf8Value();
}

Napi::Object as_object(const Napi::Value& value, const std::string& field) {
  if (!value.IsObject() || value.IsArray()) type_error(value.Env(), field, "an object");
  return value.As<Napi::Object>();
}

std::vector<std::string> keys_of(const Napi::Object& object) {
  std::vector<std::string> keys;
  Napi::Array names = object.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) keys.push_back(names.Get(i).ToString().Utf8Value());
  return keys;
}

// number[], Float32Array or Float64Array as a 1-D float32 tensor (a copy).
torch::Tensor numbers_from(const Napi::Value& value, const std::string& field) {
  std::vector<float> numbers;
  if (value.IsArray()) {
    Napi::Array array = value.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); i++) {
      numbers.push_back(static_cast<float>(as_number(array.Get(i), field + "[i]")));
    }
  } else if (value.IsTypedArray() &&
             value.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    Napi::Float32Array array = value.As<Napi::Float32Array>();
    numbers.assign(array.Data(), array.Data() + array.ElementLength());
  } else if (value.IsTypedArray() &&
             value.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array array = value.As<Napi::Float64Array>();
    for (size_t i = 0; i < array.ElementLength(); i++) numbers.push_back(array[i]);
  } else {
    type_error(value.Env(), field, "a number[], Float32Array or Float64Array");
  }
  return torch::tensor(numbers, torch::kFloat);
}

// A plain JavaScript value (no typed arrays) as JSON, for the core's config readers.
robotrain::Json json_from(const Napi::Value& value, const std::string& field) {
  robotrain::Json json;
  if (value.IsNull() || value.IsUndefined()) return json;
  if (value.IsBoolean()) {
    json.kind = robotrain::Json::Kind::kBool;
    json.boolean = value.As<Napi::Boolean>().Value();
  } else if (value.IsNumber()) {
    json.kind = robotrain::Json::Kind::kNumber;
    json.number = value.As<Napi::Number>().DoubleValue();
  } else if (value.IsString()) {
    json.kind = robotrain::Json::Kind::kString;
    json.text = value.As<Napi::String>().Utf8Value();
  } else if (value.IsArray()) {
    json.kind = robotrain::Json::Kind::kArray;
    Napi::Array array = value.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); i++) {
      json.items.push_back(json_from(array.Get(i), field + "[" + std::to_string(i) + "]"));
    }
  } else if (value.IsObject() && !value.IsTypedArray()) {
    json.kind = robotrain::Json::Kind::kObject;
    Napi::Object object = value.As<Napi::Object>();
    for (const std::string& key : keys_of(object)) {
      json.members.emplace_back(key, json_from(object.Get(key), field + "." + key));
    }
  } else {
    type_error(value.Env(), field,
               "a plain JSON value (null, boolean, number, string, array, object)");
  }
  return json;
}

robotrain::FeatureStats stats_from(const Napi::Value& value) {
  robotrain::FeatureStats stats;
  Napi::Object object = as_object(value, "config.stats");
  for (const std::string& key : keys_of(object)) {
    Napi::Object entry = as_object(object.Get(key), "config.stats." + key);
    for (const std::string& stat : keys_of(entry)) {
      stats[key][stat] = numbers_from(entry.Get(stat), "config.stats." + key + "." + stat);
    }
  }
  return stats;
}

TrainerConfig config_from(const Napi::Object& object) {
  TrainerConfig config;
  const Napi::Value policy = object.Get("policy");
  const std::string kind = policy.IsUndefined() ? "mlp" : as_string(policy, "config.policy");
  if (kind == "act") {
    config.policy = robotrain::PolicyKind::kAct;
    if (!object.Get("act").IsUndefined()) {
      const robotrain::Json act =
          json_from(as_object(object.Get("act"), "config.act"), "config.act");
      for (const auto& [key, value] : act.members) {
        robotrain::set_act_field(config.act, key, value, "config.act");
      }
    }
    config.act.input_features = robotrain::features_from_json(
        json_from(object.Get("inputFeatures"), "config.inputFeatures"), "config.inputFeatures");
    config.act.output_features = robotrain::features_from_json(
        json_from(object.Get("outputFeatures"), "config.outputFeatures"), "config.outputFeatures");
    if (!object.Get("stats").IsUndefined()) config.stats = stats_from(object.Get("stats"));
  } else if (kind == "mlp") {
    auto int_or = [&object](const char* key, int64_t fallback) {
      Napi::Value value = object.Get(key);
      return value.IsUndefined() ? fallback : as_int(value, std::string("config.") + key);
    };
    config.mlp.state_dim = int_or("stateDim", 0);
    config.mlp.action_dim = int_or("actionDim", 0);
    config.mlp.chunk_size = int_or("chunkSize", config.mlp.chunk_size);
    config.mlp.hidden_dim = int_or("hiddenDim", config.mlp.hidden_dim);
  } else {
    throw Napi::TypeError::New(object.Env(),
                               "config.policy '" + kind + "' is not one of \"mlp\", \"act\"");
  }

  const std::vector<std::pair<const char*, std::optional<double>*>> rates = {
      {"lr", &config.lr},
      {"lrBackbone", &config.lr_backbone},
      {"weightDecay", &config.weight_decay}};
  for (const auto& [key, target] : rates) {
    if (!object.Get(key).IsUndefined())
      *target = as_number(object.Get(key), std::string("config.") + key);
  }
  if (!object.Get("gradClipNorm").IsUndefined()) {
    config.grad_clip_norm = as_number(object.Get("gradClipNorm"), "config.gradClipNorm");
  }
  if (!object.Get("seed").IsUndefined()) {
    config.seed = static_cast<uint64_t>(as_int(object.Get("seed"), "config.seed"));
  }
  Napi::Value device = object.Get("device");
  if (!device.IsUndefined()) config.device = device.ToString().Utf8Value();
  Napi::Value precision = object.Get("precision");
  if (!precision.IsUndefined()) config.precision = as_string(precision, "config.precision");
  return config;
}

// A batch entry is `{ data: Float32Array | Uint8Array, shape: number[] }`. The tensor is a
// view over the typed array's memory: no copy is made here.
torch::Tensor tensor_from(const Napi::Env& env, const std::string& name, const Napi::Value& value) {
  if (!value.IsObject()) {
    throw Napi::TypeError::New(env, "batch '" + name + "' must be { data, shape }");
  }
  Napi::Object entry = value.As<Napi::Object>();
  Napi::Value data = entry.Get("data");
  Napi::Value shape_value = entry.Get("shape");
  if (!data.IsTypedArray() || !shape_value.IsArray()) {
    throw Napi::TypeError::New(
        env, "batch '" + name + "' must be { data: TypedArray, shape: number[] }");
  }

  Napi::TypedArray typed = data.As<Napi::TypedArray>();
  torch::Dtype dtype;
  switch (typed.TypedArrayType()) {
    case napi_float32_array:
      dtype = torch::kFloat;
      break;
    case napi_uint8_array:
      dtype = torch::kUInt8;
      break;
    default:
      throw Napi::TypeError::New(env, "batch '" + name + "' must be a Float32Array or Uint8Array");
  }

  Napi::Array shape_array = shape_value.As<Napi::Array>();
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (uint32_t i = 0; i < shape_array.Length(); i++) {
    Napi::Value dim = shape_array.Get(i);
    if (!dim.IsNumber() || dim.As<Napi::Number>().Int64Value() < 0) {
      throw Napi::TypeError::New(env, "batch '" + name + "' shape must hold non-negative integers");
    }
    shape.push_back(dim.As<Napi::Number>().Int64Value());
    count *= shape.back();
  }
  if (count != static_cast<int64_t>(typed.ElementLength())) {
    throw Napi::RangeError::New(env, "batch '" + name + "' has shape " +
                                         c10::str(c10::IntArrayRef(shape)) + " (" +
                                         std::to_string(count) + " values) but its array holds " +
                                         std::to_string(typed.ElementLength()));
  }

  auto* base = static_cast<uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
  return torch::from_blob(base, shape, torch::TensorOptions().dtype(dtype));
}

// A batch of views, and references that keep the typed arrays alive until the call settles.
struct HeldBatch {
  Batch batch;
  std::vector<Napi::Reference<Napi::Value>> keep_alive;
};

HeldBatch batch_from(const Napi::CallbackInfo& info, const char* method) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, std::string(method) + "(batch) needs a batch object");
  }
  Napi::Object batch_object = info[0].As<Napi::Object>();
  HeldBatch held;
  for (const std::string& name : keys_of(batch_object)) {
    Napi::Value entry = batch_object.Get(name);
    held.batch[name] = tensor_from(env, name, entry);
    held.keep_alive.push_back(Napi::Persistent(entry));
  }
  held.keep_alive.push_back(Napi::Persistent(info.This()));
  return held;
}

// ---- C++ values to JavaScript --------------------------------------------------------------

// A float32 CPU tensor as { data: Float32Array, shape } (a copy).
Napi::Object tensor_to_js(const Napi::Env& env, const torch::Tensor& tensor) {
  Napi::Float32Array values = Napi::Float32Array::New(env, tensor.numel());
  if (tensor.numel() > 0) {
    std::memcpy(values.Data(), tensor.data_ptr<float>(), tensor.numel() * sizeof(float));
  }
  Napi::Array shape = Napi::Array::New(env, tensor.dim());
  for (int64_t d = 0; d < tensor.dim(); d++) {
    shape.Set(d, Napi::Number::New(env, static_cast<double>(tensor.size(d))));
  }
  Napi::Object entry = Napi::Object::New(env);
  entry.Set("data", values);
  entry.Set("shape", shape);
  return entry;
}

Napi::Object tensors_to_js(const Napi::Env& env, const NamedTensors& tensors) {
  Napi::Object object = Napi::Object::New(env);
  for (const auto& [name, tensor] : tensors) object.Set(name, tensor_to_js(env, tensor));
  return object;
}

Napi::Object step_to_js(const Napi::Env& env, const StepResult& result) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("step", Napi::Number::New(env, static_cast<double>(result.step)));
  object.Set("loss", Napi::Number::New(env, result.loss));
  object.Set("l1Loss", Napi::Number::New(env, result.l1_loss));
  object.Set("kldLoss",
             result.kld_loss ? Napi::Value(Napi::Number::New(env, *result.kld_loss)) : env.Null());
  object.Set("gradNorm", Napi::Number::New(env, result.grad_norm));
  return object;
}

Napi::Object step_memory_to_js(const Napi::Env& env, const StepMemory& memory) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("peakBytes", Napi::Number::New(env, static_cast<double>(memory.peak_bytes)));
  object.Set("optimizerStateBytes",
             Napi::Number::New(env, static_cast<double>(memory.optimizer_state_bytes)));
  object.Set("availableBytes", Napi::Number::New(env, static_cast<double>(memory.available_bytes)));
  object.Set("totalBytes", Napi::Number::New(env, static_cast<double>(memory.total_bytes)));
  return object;
}

// ---- Calls off the JavaScript thread -------------------------------------------------------

// Runs one trainer call from the libuv thread pool and settles a promise with its result. The
// call itself runs on the trainer's own thread (CallThread), the same one for every call.
template <typename Result>
class TrainerCall : public Napi::AsyncWorker {
 public:
  using Run = std::function<Result()>;
  using Settle = std::function<Napi::Value(Napi::Env, const Result&)>;

  TrainerCall(Napi::Env env, std::atomic<const char*>* busy,
              std::shared_ptr<robotrain::CallThread> thread, HeldBatch held, Run run, Settle settle)
      : Napi::AsyncWorker(env, "robotrain.trainer"),
        deferred_(Napi::Promise::Deferred::New(env)),
        busy_(busy),
        thread_(std::move(thread)),
        held_(std::move(held)),
        run_(std::move(run)),
        settle_(std::move(settle)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = thread_->run(run_);
    } catch (const std::exception& error) {
      SetError(message_of(error));
    }
  }

  void OnOK() override {
    busy_->store(nullptr);
    deferred_.Resolve(settle_(Env(), result_));
  }

  void OnError(const Napi::Error& error) override {
    busy_->store(nullptr);
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::atomic<const char*>* busy_;
  std::shared_ptr<robotrain::CallThread> thread_;
  HeldBatch held_;  // the batch's typed arrays stay alive until the call settles
  Run run_;
  Settle settle_;
  Result result_{};
};

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Trainer",
        {
            InstanceMethod<&TrainerWrap::Step>("step"),
            InstanceMethod<&TrainerWrap::Predict>("predict"),
            InstanceMethod<&TrainerWrap::Trace>("trace"),
            InstanceMethod<&TrainerWrap::LoadSafetensors>("loadSafetensors"),
            InstanceMethod<&TrainerWrap::SaveSafetensors>("saveSafetensors"),
            InstanceMethod<&TrainerWrap::LoadBackboneSafetensors>("loadBackboneSafetensors"),
            InstanceMethod<&TrainerWrap::StateDict>("stateDict"),
            InstanceMethod<&TrainerWrap::SaveTrainingState>("saveTrainingState"),
            InstanceMethod<&TrainerWrap::LoadTrainingState>("loadTrainingState"),
            InstanceMethod<&TrainerWrap::MeasureStepMemory>("measureStepMemory"),
            InstanceAccessor<&TrainerWrap::ParamGroups>("paramGroups"),
            InstanceAccessor<&TrainerWrap::Device>("device"),
            InstanceAccessor<&TrainerWrap::DeviceFallback>("deviceFallback"),
            InstanceAccessor<&TrainerWrap::Precision>("precision"),
            InstanceAccessor<&TrainerWrap::PrecisionFallback>("precisionFallback"),
            InstanceAccessor<&TrainerWrap::ParameterCount>("parameterCount"),
            InstanceAccessor<&TrainerWrap::StepsDone>("stepsDone"),
        });
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "new Trainer(config) needs a config object");
    }
    try {
      trainer_ = std::make_shared<Trainer>(config_from(info[0].As<Napi::Object>()));
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& error) {
      throw Napi::Error::New(env, message_of(error));
    }
  }

 private:
  // Queues `run` unless another call of this trainer is in flight.
  template <typename Result>
  Napi::Value queue(const Napi::CallbackInfo& info, const char* method, HeldBatch held,
                    typename TrainerCall<Result>::Run run,
                    typename TrainerCall<Result>::Settle settle) {
    const char* idle = nullptr;
    if (!busy_.compare_exchange_strong(idle, method)) {
      throw Napi::Error::New(info.Env(), std::string(method) + "() called while another " + idle +
                                             " of this trainer runs; await each call before " +
                                             "starting the next");
    }
    auto* call = new TrainerCall<Result>(info.Env(), &busy_, thread_, std::move(held),
                                         std::move(run), std::move(settle));
    Napi::Promise promise = call->promise();
    call->Queue();
    return promise;
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    HeldBatch held = batch_from(info, "step");
    Batch batch = held.batch;
    auto trainer = trainer_;
    return queue<StepResult>(
        info, "step", std::move(held), [trainer, batch]() { return trainer->step(batch); },
        [](Napi::Env env, const StepResult& result) { return step_to_js(env, result); });
  }

  Napi::Value Predict(const Napi::CallbackInfo& info) {
    HeldBatch held = batch_from(info, "predict");
    Batch batch = held.batch;
    auto trainer = trainer_;
    return queue<torch::Tensor>(
        info, "predict", std::move(held), [trainer, batch]() { return trainer->predict(batch); },
        [](Napi::Env env, const torch::Tensor& actions) { return tensor_to_js(env, actions); });
  }

  Napi::Value Trace(const Napi::CallbackInfo& info) {
    HeldBatch held = batch_from(info, "trace");
    TraceOptions options;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      Napi::Object given = as_object(info[1], "trace options");
      if (!given.Get("dropout").IsUndefined()) {
        options.dropout = as_bool(given.Get("dropout"), "options.dropout");
      }
      if (!given.Get("gradients").IsUndefined()) {
        Napi::Value names = given.Get("gradients");
        if (!names.IsArray()) type_error(info.Env(), "options.gradients", "a string[]");
        for (uint32_t i = 0; i < names.As<Napi::Array>().Length(); i++) {
          options.gradients.push_back(
              as_string(names.As<Napi::Array>().Get(i), "options.gradients[i]"));
        }
      }
    }
    Batch batch = held.batch;
    auto trainer = trainer_;
    return queue<NamedTensors>(
        info, "trace", std::move(held),
        [trainer, batch, options]() { return trainer->trace(batch, options); },
        [](Napi::Env env, const NamedTensors& tensors) { return tensors_to_js(env, tensors); });
  }

  Napi::Value MeasureStepMemory(const Napi::CallbackInfo& info) {
    HeldBatch held = batch_from(info, "measureStepMemory");
    Batch batch = held.batch;
    auto trainer = trainer_;
    return queue<StepMemory>(
        info, "measureStepMemory", std::move(held),
        [trainer, batch]() { return trainer->measure_step_memory(batch); },
        [](Napi::Env env, const StepMemory& memory) { return step_memory_to_js(env, memory); });
  }

  Napi::Value LoadSafetensors(const Napi::CallbackInfo& info) {
    const std::string path = as_string(info[0], "loadSafetensors(path): path");
    auto trainer = trainer_;
    HeldBatch held;
    held.keep_alive.push_back(Napi::Persistent(info.This()));
    return queue<bool>(
        info, "loadSafetensors", std::move(held),
        [trainer, path]() { return trainer->load_safetensors(path), true; },
        [](Napi::Env env, const bool&) { return env.Undefined(); });
  }

  Napi::Value LoadBackboneSafetensors(const Napi::CallbackInfo& info) {
    const std::string path = as_string(info[0], "loadBackboneSafetensors(path): path");
    auto trainer = trainer_;
    HeldBatch held;
    held.keep_alive.push_back(Napi::Persistent(info.This()));
    return queue<bool>(
        info, "loadBackboneSafetensors", std::move(held),
        [trainer, path]() { return trainer->load_backbone_safetensors(path), true; },
        [](Napi::Env env, const bool&) { return env.Undefined(); });
  }

  Napi::Value SaveSafetensors(const Napi::CallbackInfo& info) {
    const std::string path = as_string(info[0], "saveSafetensors(path): path");
    auto trainer = trainer_;
    HeldBatch held;
    held.keep_alive.push_back(Napi::Persistent(info.This()));
    return queue<bool>(
        info, "saveSafetensors", std::move(held),
        [trainer, path]() { return trainer->save_safetensors(path), true; },
        [](Napi::Env env, const bool&) { return env.Undefined(); });
  }

  Napi::Value SaveTrainingState(const Napi::CallbackInfo& info) {
    const std::string dir = as_string(info[0], "saveTrainingState(dir): dir");
    auto trainer = trainer_;
    HeldBatch held;
    held.keep_alive.push_back(Napi::Persistent(info.This()));
    return queue<bool>(
        info, "saveTrainingState", std::move(held),
        [trainer, dir]() { return trainer->save_training_state(dir), true; },
        [](Napi::Env env, const bool&) { return env.Undefined(); });
  }

  Napi::Value LoadTrainingState(const Napi::CallbackInfo& info) {
    const std::string dir = as_string(info[0], "loadTrainingState(dir): dir");
    auto trainer = trainer_;
    HeldBatch held;
    held.keep_alive.push_back(Napi::Persistent(info.This()));
    return queue<int64_t>(
        info, "loadTrainingState", std::move(held),
        [trainer, dir]() { return trainer->load_training_state(dir), trainer->steps_done(); },
        [](Napi::Env env, const int64_t& step) {
          return Napi::Number::New(env, static_cast<double>(step));
        });
  }

  Napi::Value StateDict(const Napi::CallbackInfo& info) {
    return tensors_to_js(info.Env(), trainer_->state_dict());
  }

  Napi::Value ParamGroups(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array groups = Napi::Array::New(env);
    for (const auto& group : trainer_->param_groups()) {
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("name", group.name);
      entry.Set("lr", group.lr);
      entry.Set("weightDecay", group.weight_decay);
      Napi::Array names = Napi::Array::New(env, group.parameters.size());
      for (size_t i = 0; i < group.parameters.size(); i++) {
        names.Set(static_cast<uint32_t>(i), group.parameters[i]);
      }
      entry.Set("parameters", names);
      groups.Set(groups.Length(), entry);
    }
    return groups;
  }

  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), robotrain::describe_device(trainer_->device().device));
  }

  Napi::Value DeviceFallback(const Napi::CallbackInfo& info) {
    const std::string& reason = trainer_->device().fallback_reason;
    if (reason.empty()) return info.Env().Null();
    return Napi::String::New(info.Env(), reason);
  }

  Napi::Value Precision(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(),
                             robotrain::precision_name(trainer_->precision().precision));
  }

  Napi::Value PrecisionFallback(const Napi::CallbackInfo& info) {
    const std::string& reason = trainer_->precision().fallback_reason;
    if (reason.empty()) return info.Env().Null();
    return Napi::String::New(info.Env(), reason);
  }

  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(trainer_->parameter_count()));
  }

  Napi::Value StepsDone(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(trainer_->steps_done()));
  }

  std::shared_ptr<Trainer> trainer_;
  std::shared_ptr<robotrain::CallThread> thread_ = std::make_shared<robotrain::CallThread>();
  // The method of the call in flight (a string literal), or null when the trainer is idle.
  std::atomic<const char*> busy_{nullptr};
};

// What libtorch this addon runs on: version, the file it was loaded from, CUDA devices.
Napi::Value LibtorchInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("version", Napi::String::New(env, TORCH_VERSION));

  Dl_info where{};
  const bool found = dladdr(reinterpret_cast<void*>(&at::globalContext), &where) != 0;
  result.Set("library", found && where.dli_fname
                            ? Napi::Value(Napi::String::New(env, where.dli_fname))
                            : env.Null());
#ifdef ROBOTRAIN_WITH_CUDA
  result.Set("builtWithCuda", Napi::Boolean::New(env, true));
#else
  result.Set("builtWithCuda", Napi::Boolean::New(env, false));
#endif

  const bool cuda = torch::cuda::is_available();
  result.Set("cudaAvailable", Napi::Boolean::New(env, cuda));
  Napi::Array devices = Napi::Array::New(env);
  if (cuda) {
    for (size_t i = 0; i < static_cast<size_t>(torch::cuda::device_count()); i++) {
      torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(i));
      devices.Set(static_cast<uint32_t>(i), robotrain::describe_device(device));
    }
  }
  result.Set("cudaDevices", devices);
  result.Set("threads", Napi::Number::New(env, at::get_num_threads()));
  return result;
}

// `cudaMemory(device)`: the caching allocator's figures and the device's free memory, in bytes.
Napi::Value CudaMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = as_string(info[0], "cudaMemory(device): device");
  robotrain::CudaMemory memory;
  try {
    memory = robotrain::cuda_memory(torch::Device(name));
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, message_of(error));
  }
  Napi::Object result = Napi::Object::New(env);
  const std::vector<std::pair<const char*, int64_t>> figures = {
      {"allocatedBytes", memory.allocated_bytes},
      {"reservedBytes", memory.reserved_bytes},
      {"peakAllocatedBytes", memory.peak_allocated_bytes},
      {"peakReservedBytes", memory.peak_reserved_bytes},
      {"freeBytes", memory.free_bytes},
      {"totalBytes", memory.total_bytes}};
  for (const auto& [key, bytes] : figures) {
    result.Set(key, Napi::Number::New(env, static_cast<double>(bytes)));
  }
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Trainer", TrainerWrap::Define(env));
  exports.Set("libtorchInfo", Napi::Function::New<LibtorchInfo>(env, "libtorchInfo"));
  exports.Set("cudaMemory", Napi::Function::New<CudaMemory>(env, "cudaMemory"));
  RegisterMappedFile(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(robotrain, Init)
