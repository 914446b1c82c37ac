// ACT's transformer: encoder layers (also used by the VAE encoder) and decoder layers, each
// post-norm (norm(x + f(x))) or pre-norm (x + f(norm(x))) by `pre_norm`, with LeRobot's module
// names (self_attn, multihead_attn, linear1, linear2, norm1..3, dropout, dropout1..3).
// Position embeddings are added to queries and keys, never to values.
//
// Legend: B is batch, T token count (encoder side), S chunk size (decoder queries), D model
// width, F feed-forward width.
#pragma once

#include <torch/torch.h>

#include "core/act/act_config.h"
#include "core/act/attention.h"

namespace robotrain {

class ActEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ActEncoderLayerImpl(const ActConfig& config);

  // x and pos_embed are (T, B, D) (pos_embed may broadcast over B or be undefined);
  // key_padding_mask is a bool (B, T) or undefined. Returns (T, B, D).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos_embed,
                        const torch::Tensor& key_padding_mask);

 private:
  MultiheadAttention self_attn{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr};
  bool pre_norm_;
  bool gelu_;
};

TORCH_MODULE(ActEncoderLayer);

class ActEncoderImpl : public torch::nn::Module {
 public:
  // The VAE encoder has n_vae_encoder_layers layers, the main encoder n_encoder_layers.
  ActEncoderImpl(const ActConfig& config, bool is_vae_encoder);

  // As ActEncoderLayer::forward, through every layer and, with pre_norm, a final LayerNorm.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos_embed,
                        const torch::Tensor& key_padding_mask = torch::Tensor());

 private:
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};  // only with pre_norm; LeRobot's Identity otherwise
};

TORCH_MODULE(ActEncoder);

class ActDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit ActDecoderLayerImpl(const ActConfig& config);

  // x is (S, B, D), encoder_out (T, B, D); decoder_pos_embed (S, 1, D) and encoder_pos_embed
  // (T, 1, D) broadcast over B. Returns (S, B, D).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& encoder_out,
                        const torch::Tensor& decoder_pos_embed,
                        const torch::Tensor& encoder_pos_embed);

 private:
  MultiheadAttention self_attn{nullptr}, multihead_attn{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  torch::nn::Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr}, dropout3{nullptr};
  bool pre_norm_;
  bool gelu_;
};

TORCH_MODULE(ActDecoderLayer);

class ActDecoderImpl : public torch::nn::Module {
 public:
  explicit ActDecoderImpl(const ActConfig& config);

  // As ActDecoderLayer::forward, through every layer and the final LayerNorm.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& encoder_out,
                        const torch::Tensor& decoder_pos_embed,
                        const torch::Tensor& encoder_pos_embed);

 private:
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

TORCH_MODULE(ActDecoder);

}  // namespace robotrain
