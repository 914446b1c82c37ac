#include "core/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "core/device.h"

#ifdef ROBOTRAIN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

// libtorch 2.4 replaced the CUDA-only autocast calls with ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define ROBOTRAIN_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace robotrain {
namespace {

// Why this CUDA device cannot run bf16 autocast; empty when it can.
std::string bf16_unsupported_reason(const torch::Device& device) {
#ifdef ROBOTRAIN_WITH_CUDA
  const cudaDeviceProp* props =
      at::cuda::getDeviceProperties(device.has_index() ? device.index() : 0);
  if (props->major >= 8) return "";
  return describe_device(device) + " has compute capability " + std::to_string(props->major) + "." +
         std::to_string(props->minor) + "; bf16 needs 8.0 (Ampere) or newer";
#else
  return "libtorch was built without CUDA";
#endif
}

}  // namespace

PrecisionChoice choose_precision(const std::string& requested, const torch::Device& device) {
  if (requested == "fp32") return {Precision::kFp32, ""};
  TORCH_CHECK(requested == "auto" || requested == "bf16", "precision '", requested,
              "' is not one of auto, fp32, bf16");

  if (!device.is_cuda()) {
    // Limitation: bf16 autocast runs on CUDA only — CPU autocast is slower than float32 on
    // CPUs without bf16 matrix units, so the CPU path stays float32; CPU autocast
    // (at::autocast::set_cpu_enabled) would lift it where such units exist.
    TORCH_CHECK(requested == "auto", "precision 'bf16' runs bf16 autocast on CUDA only and the ",
                "trainer is on ", describe_device(device), "; use precision 'fp32' or 'auto'");
    return {Precision::kFp32, ""};
  }

  const std::string unsupported = bf16_unsupported_reason(device);
  if (unsupported.empty()) return {Precision::kBf16, ""};
  TORCH_CHECK(requested == "auto", "precision 'bf16' cannot run: ", unsupported,
              "; use precision 'fp32' or 'auto'");
  return {Precision::kFp32, unsupported};
}

const char* precision_name(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

AutocastScope::AutocastScope(Precision precision, const torch::Device& device)
    : active_(precision == Precision::kBf16 && device.is_cuda()) {
  if (!active_) return;
#ifdef ROBOTRAIN_AUTOCAST_BY_DEVICE_TYPE
  was_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  was_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
  was_enabled_ = at::autocast::is_enabled();
  was_dtype_ = at::autocast::get_autocast_gpu_dtype();
  at::autocast::set_enabled(true);
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The bf16 copies of the weights are cached for one forward pass; the outermost scope drops
  // them, so the next step casts the weights AdamW has just updated.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef ROBOTRAIN_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, was_dtype_);
#else
  at::autocast::set_enabled(was_enabled_);
  at::autocast::set_autocast_gpu_dtype(was_dtype_);
#endif
}

}  // namespace robotrain
