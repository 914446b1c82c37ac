// The floating-point precision of a trainer's forward passes, chosen once with its device, and
// the scope that runs a forward pass under bf16 autocast. Master weights, gradients, the loss,
// gradient clipping and AdamW stay float32 in every precision.
#pragma once

#include <torch/torch.h>

#include <string>

namespace robotrain {

enum class Precision { kFp32, kBf16 };

struct PrecisionChoice {
  Precision precision = Precision::kFp32;
  // Why "auto" chose fp32 on a CUDA device; empty when nothing fell back.
  std::string fallback_reason;
};

// `requested` is "auto", "fp32" or "bf16". "auto" takes bf16 on a CUDA device that supports it
// (compute capability 8.0 or newer) and fp32 elsewhere; an explicit "bf16" that cannot be
// honoured throws.
PrecisionChoice choose_precision(const std::string& requested, const torch::Device& device);

// "fp32" or "bf16".
const char* precision_name(Precision precision);

// Turns CUDA autocast to bfloat16 on for this thread while it lives, for a trainer in bf16 on
// CUDA; for any other precision or device it does nothing. Backward passes run outside it.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kHalf;
};

}  // namespace robotrain
