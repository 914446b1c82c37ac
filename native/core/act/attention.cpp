// Legend: B is batch, Q query length, K key length, D model width, H heads, d = D / H.
#include "core/act/attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace robotrain {

MultiheadAttentionImpl::MultiheadAttentionImpl(int64_t dim_model, int64_t n_heads, double dropout)
    : dim_model_(dim_model), n_heads_(n_heads), dropout_(dropout) {
  TORCH_CHECK(dim_model % n_heads == 0, "dim_model ", dim_model, " is not divisible by n_heads ",
              n_heads);
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * dim_model, dim_model}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * dim_model}));
  out_proj = register_module("out_proj", torch::nn::Linear(dim_model, dim_model));

  // PyTorch's own initialisation of nn.MultiheadAttention.
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight);
  out_proj->bias.zero_();
}

torch::Tensor MultiheadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key,
                                              const torch::Tensor& value,
                                              const torch::Tensor& key_padding_mask) {
  const int64_t q_len = query.size(0);
  const int64_t k_len = key.size(0);
  const int64_t batch = query.size(1);
  const int64_t head_dim = dim_model_ / n_heads_;

  std::vector<torch::Tensor> w = in_proj_weight.chunk(3, 0);           // 3 x (D, D)
  std::vector<torch::Tensor> b = in_proj_bias.chunk(3, 0);             // 3 x (D)
  torch::Tensor q = torch::nn::functional::linear(query, w[0], b[0]);  // (Q, B, D)
  torch::Tensor k = torch::nn::functional::linear(key, w[1], b[1]);    // (K, B, D)
  torch::Tensor v = torch::nn::functional::linear(value, w[2], b[2]);  // (K, B, D)

  // Heads: batch element b and head h share the row b * H + h.
  q = q.reshape({q_len, batch * n_heads_, head_dim}).transpose(0, 1);  // (B*H, Q, d)
  k = k.reshape({k_len, batch * n_heads_, head_dim}).transpose(0, 1);  // (B*H, K, d)
  v = v.reshape({k_len, batch * n_heads_, head_dim}).transpose(0, 1);  // (B*H, K, d)

  q = q / std::sqrt(static_cast<double>(head_dim));         // (B*H, Q, d)
  torch::Tensor scores = torch::bmm(q, k.transpose(1, 2));  // (B*H, Q, K)
  if (key_padding_mask.defined()) {
    torch::Tensor mask = key_padding_mask.to(torch::kBool)
                             .view({batch, 1, 1, k_len})
                             .expand({batch, n_heads_, 1, k_len})
                             .reshape({batch * n_heads_, 1, k_len});              // (B*H, 1, K)
    scores = scores.masked_fill(mask, -std::numeric_limits<double>::infinity());  // (B*H, Q, K)
  }
  torch::Tensor weights = torch::softmax(scores, -1);          // (B*H, Q, K)
  weights = torch::dropout(weights, dropout_, is_training());  // (B*H, Q, K)

  torch::Tensor out = torch::bmm(weights, v);                      // (B*H, Q, d)
  out = out.transpose(0, 1).reshape({q_len * batch, dim_model_});  // (Q*B, D)
  return out_proj->forward(out).view({q_len, batch, dim_model_});  // (Q, B, D)
}

}  // namespace robotrain
