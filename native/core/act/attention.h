// Multi-head attention with PyTorch nn.MultiheadAttention's parameters and semantics
// (batch_first=False, packed in_proj_weight = [W_q; W_k; W_v], heads splitting D contiguously,
// a boolean key padding mask, dropout on the attention weights), so that LeRobot's
// `*.self_attn.*` and `*.multihead_attn.*` tensors load as they are.
//
// Legend: B is batch, Q query length, K key length, D model width, H heads, d = D / H.
#pragma once

#include <torch/torch.h>

namespace robotrain {

class MultiheadAttentionImpl : public torch::nn::Module {
 public:
  MultiheadAttentionImpl(int64_t dim_model, int64_t n_heads, double dropout);

  // query is (Q, B, D), key and value (K, B, D); key_padding_mask, when defined, is a bool
  // (B, K) that is true at keys to ignore. Returns (Q, B, D).
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key,
                        const torch::Tensor& value,
                        const torch::Tensor& key_padding_mask = torch::Tensor());

  torch::Tensor in_proj_weight;  // (3D, D)
  torch::Tensor in_proj_bias;    // (3D)
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t dim_model_;
  int64_t n_heads_;
  double dropout_;
};

TORCH_MODULE(MultiheadAttention);

}  // namespace robotrain
