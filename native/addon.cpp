// N-API bindings of the training core. Nothing here trains: it converts between JavaScript
// values and the core's types, runs steps on the libuv thread pool, and turns C++
// exceptions into JavaScript errors carrying the same message.
#include <dlfcn.h>
#include <napi.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/trainer.h"

namespace {

using robotrain::Batch;
using robotrain::StepResult;
using robotrain::Trainer;
using robotrain::TrainerConfig;

// c10::Error::what() appends a C++ backtrace; JavaScript callers want the message alone.
std::string message_of(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) {
    return torch_error->what_without_backtrace();
  }
  return error.what();
}

int64_t int_field(const Napi::Object& object, const char* key, int64_t fallback) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(object.Env(), std::string("config.") + key + " must be a number");
  }
  return value.As<Napi::Number>().Int64Value();
}

double number_field(const Napi::Object& object, const char* key, double fallback) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(object.Env(), std::string("config.") + key + " must be a number");
  }
  return value.As<Napi::Number>().DoubleValue();
}

TrainerConfig config_from(const Napi::Object& object) {
  TrainerConfig config;
  config.policy.state_dim = int_field(object, "stateDim", 0);
  config.policy.action_dim = int_field(object, "actionDim", 0);
  config.policy.chunk_size = int_field(object, "chunkSize", config.policy.chunk_size);
  config.policy.hidden_dim = int_field(object, "hiddenDim", config.policy.hidden_dim);
  config.lr = number_field(object, "lr", config.lr);
  config.weight_decay = number_field(object, "weightDecay", config.weight_decay);
  config.grad_clip_norm = number_field(object, "gradClipNorm", config.grad_clip_norm);
  config.seed = static_cast<uint64_t>(int_field(object, "seed", 0));
  Napi::Value device = object.Get("device");
  if (!device.IsUndefined()) config.device = device.ToString().Utf8Value();
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

class TrainerWrap;

// Runs one step off the JavaScript thread; resolves with the step's result.
class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Env env, std::shared_ptr<Trainer> trainer, std::atomic<bool>* busy, Batch batch,
             std::vector<Napi::Reference<Napi::Value>> keep_alive)
      : Napi::AsyncWorker(env, "robotrain.step"),
        deferred_(Napi::Promise::Deferred::New(env)),
        trainer_(std::move(trainer)),
        busy_(busy),
        batch_(std::move(batch)),
        keep_alive_(std::move(keep_alive)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = trainer_->step(batch_);
    } catch (const std::exception& error) {
      SetError(message_of(error));
    }
  }

  void OnOK() override {
    busy_->store(false);
    Napi::Env env = Env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("step", Napi::Number::New(env, static_cast<double>(result_.step)));
    result.Set("loss", Napi::Number::New(env, result_.loss));
    result.Set("l1Loss", Napi::Number::New(env, result_.l1_loss));
    result.Set("gradNorm", Napi::Number::New(env, result_.grad_norm));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    busy_->store(false);
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Trainer> trainer_;
  std::atomic<bool>* busy_;
  Batch batch_;
  // The typed arrays behind batch_'s views stay alive until the step settles.
  std::vector<Napi::Reference<Napi::Value>> keep_alive_;
  StepResult result_;
};

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Trainer",
                       {
                           InstanceMethod<&TrainerWrap::Step>("step"),
                           InstanceMethod<&TrainerWrap::StateDict>("stateDict"),
                           InstanceAccessor<&TrainerWrap::Device>("device"),
                           InstanceAccessor<&TrainerWrap::DeviceFallback>("deviceFallback"),
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
  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "step(batch) needs a batch object");
    }
    Napi::Object batch_object = info[0].As<Napi::Object>();

    Batch batch;
    std::vector<Napi::Reference<Napi::Value>> keep_alive;
    Napi::Array names = batch_object.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).ToString().Utf8Value();
      Napi::Value entry = batch_object.Get(name);
      batch[name] = tensor_from(env, name, entry);
      keep_alive.push_back(Napi::Persistent(entry));
    }
    keep_alive.push_back(Napi::Persistent(info.This()));

    bool idle = false;
    if (!busy_.compare_exchange_strong(idle, true)) {
      throw Napi::Error::New(env,
                             "step() called while another step of this trainer runs; "
                             "await each step before starting the next");
    }
    auto* worker = new StepWorker(env, trainer_, &busy_, std::move(batch), std::move(keep_alive));
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  Napi::Value StateDict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object tensors = Napi::Object::New(env);
    for (const auto& [name, tensor] : trainer_->state_dict()) {
      Napi::Float32Array values = Napi::Float32Array::New(env, tensor.numel());
      std::memcpy(values.Data(), tensor.data_ptr<float>(), tensor.numel() * sizeof(float));
      Napi::Array shape = Napi::Array::New(env, tensor.dim());
      for (int64_t d = 0; d < tensor.dim(); d++) {
        shape.Set(d, Napi::Number::New(env, static_cast<double>(tensor.size(d))));
      }
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("data", values);
      entry.Set("shape", shape);
      tensors.Set(name, entry);
    }
    return tensors;
  }

  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), robotrain::describe_device(trainer_->device().device));
  }

  Napi::Value DeviceFallback(const Napi::CallbackInfo& info) {
    const std::string& reason = trainer_->device().fallback_reason;
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
  std::atomic<bool> busy_{false};
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
    for (size_t i = 0; i < torch::cuda::device_count(); i++) {
      torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(i));
      devices.Set(static_cast<uint32_t>(i), robotrain::describe_device(device));
    }
  }
  result.Set("cudaDevices", devices);
  result.Set("threads", Napi::Number::New(env, at::get_num_threads()));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Trainer", TrainerWrap::Define(env));
  exports.Set("libtorchInfo", Napi::Function::New<LibtorchInfo>(env, "libtorchInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(robotrain, Init)
