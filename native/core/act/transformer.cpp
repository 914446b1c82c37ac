// Legend: B is batch, T encoder tokens, S chunk size (decoder queries), D model width.
#include "core/act/transformer.h"

namespace robotrain {
namespace {

torch::nn::LayerNorm layer_norm(int64_t dim_model) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim_model}).eps(1e-5));
}

torch::Tensor with_pos(const torch::Tensor& x, const torch::Tensor& pos_embed) {
  return pos_embed.defined() ? x + pos_embed : x;
}

torch::Tensor activate(const torch::Tensor& x, bool gelu) {
  return gelu ? torch::gelu(x) : torch::relu(x);
}

}  // namespace

ActEncoderLayerImpl::ActEncoderLayerImpl(const ActConfig& config)
    : pre_norm_(config.pre_norm), gelu_(config.feedforward_activation == "gelu") {
  self_attn = register_module("self_attn",
                              MultiheadAttention(config.dim_model, config.n_heads, config.dropout));
  linear1 = register_module("linear1", torch::nn::Linear(config.dim_model, config.dim_feedforward));
  dropout = register_module("dropout", torch::nn::Dropout(config.dropout));
  linear2 = register_module("linear2", torch::nn::Linear(config.dim_feedforward, config.dim_model));
  norm1 = register_module("norm1", layer_norm(config.dim_model));
  norm2 = register_module("norm2", layer_norm(config.dim_model));
  dropout1 = register_module("dropout1", torch::nn::Dropout(config.dropout));
  dropout2 = register_module("dropout2", torch::nn::Dropout(config.dropout));
}

torch::Tensor ActEncoderLayerImpl::forward(const torch::Tensor& input,
                                           const torch::Tensor& pos_embed,
                                           const torch::Tensor& key_padding_mask) {
  torch::Tensor skip = input;                                   // (T, B, D)
  torch::Tensor x = pre_norm_ ? norm1->forward(input) : input;  // (T, B, D)
  torch::Tensor q = with_pos(x, pos_embed);                     // (T, B, D); keys are the same
  x = self_attn->forward(q, q, x, key_padding_mask);            // (T, B, D)
  x = skip + dropout1->forward(x);                              // (T, B, D)

  if (pre_norm_) {
    skip = x;
    x = norm2->forward(x);  // (T, B, D)
  } else {
    x = norm1->forward(x);  // (T, B, D)
    skip = x;
  }
  x = linear2->forward(dropout->forward(activate(linear1->forward(x), gelu_)));  // (T, B, D)
  x = skip + dropout2->forward(x);                                               // (T, B, D)
  return pre_norm_ ? x : norm2->forward(x);                                      // (T, B, D)
}

ActEncoderImpl::ActEncoderImpl(const ActConfig& config, bool is_vae_encoder) {
  const int64_t count = is_vae_encoder ? config.n_vae_encoder_layers : config.n_encoder_layers;
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < count; i++) layers->push_back(ActEncoderLayer(config));
  if (config.pre_norm) norm = register_module("norm", layer_norm(config.dim_model));
}

torch::Tensor ActEncoderImpl::forward(const torch::Tensor& input, const torch::Tensor& pos_embed,
                                      const torch::Tensor& key_padding_mask) {
  torch::Tensor x = input;  // (T, B, D)
  for (const auto& layer : *layers) {
    x = layer->as<ActEncoderLayer>()->forward(x, pos_embed, key_padding_mask);  // (T, B, D)
  }
  return norm ? norm->forward(x) : x;  // (T, B, D)
}

ActDecoderLayerImpl::ActDecoderLayerImpl(const ActConfig& config)
    : pre_norm_(config.pre_norm), gelu_(config.feedforward_activation == "gelu") {
  self_attn = register_module("self_attn",
                              MultiheadAttention(config.dim_model, config.n_heads, config.dropout));
  multihead_attn = register_module(
      "multihead_attn", MultiheadAttention(config.dim_model, config.n_heads, config.dropout));
  linear1 = register_module("linear1", torch::nn::Linear(config.dim_model, config.dim_feedforward));
  dropout = register_module("dropout", torch::nn::Dropout(config.dropout));
  linear2 = register_module("linear2", torch::nn::Linear(config.dim_feedforward, config.dim_model));
  norm1 = register_module("norm1", layer_norm(config.dim_model));
  norm2 = register_module("norm2", layer_norm(config.dim_model));
  norm3 = register_module("norm3", layer_norm(config.dim_model));
  dropout1 = register_module("dropout1", torch::nn::Dropout(config.dropout));
  dropout2 = register_module("dropout2", torch::nn::Dropout(config.dropout));
  dropout3 = register_module("dropout3", torch::nn::Dropout(config.dropout));
}

torch::Tensor ActDecoderLayerImpl::forward(const torch::Tensor& input,
                                           const torch::Tensor& encoder_out,
                                           const torch::Tensor& decoder_pos_embed,
                                           const torch::Tensor& encoder_pos_embed) {
  // Self-attention among the chunk's queries.
  torch::Tensor skip = input;                                   // (S, B, D)
  torch::Tensor x = pre_norm_ ? norm1->forward(input) : input;  // (S, B, D)
  torch::Tensor q = with_pos(x, decoder_pos_embed);             // (S, B, D); keys are the same
  x = self_attn->forward(q, q, x);                              // (S, B, D)
  x = skip + dropout1->forward(x);                              // (S, B, D)
  if (pre_norm_) {
    skip = x;
    x = norm2->forward(x);  // (S, B, D)
  } else {
    x = norm1->forward(x);  // (S, B, D)
    skip = x;
  }

  // Cross-attention from the queries to the encoder's tokens.
  x = multihead_attn->forward(with_pos(x, decoder_pos_embed),
                              with_pos(encoder_out, encoder_pos_embed), encoder_out);  // (S, B, D)
  x = skip + dropout2->forward(x);                                                     // (S, B, D)
  if (pre_norm_) {
    skip = x;
    x = norm3->forward(x);  // (S, B, D)
  } else {
    x = norm2->forward(x);  // (S, B, D)
    skip = x;
  }

  x = linear2->forward(dropout->forward(activate(linear1->forward(x), gelu_)));  // (S, B, D)
  x = skip + dropout3->forward(x);                                               // (S, B, D)
  return pre_norm_ ? x : norm3->forward(x);                                      // (S, B, D)
}

ActDecoderImpl::ActDecoderImpl(const ActConfig& config) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.n_decoder_layers; i++) layers->push_back(ActDecoderLayer(config));
  norm = register_module("norm", layer_norm(config.dim_model));
}

torch::Tensor ActDecoderImpl::forward(const torch::Tensor& input, const torch::Tensor& encoder_out,
                                      const torch::Tensor& decoder_pos_embed,
                                      const torch::Tensor& encoder_pos_embed) {
  torch::Tensor x = input;  // (S, B, D)
  for (const auto& layer : *layers) {
    x = layer->as<ActDecoderLayer>()->forward(x, encoder_out, decoder_pos_embed,
                                              encoder_pos_embed);  // (S, B, D)
  }
  return norm->forward(x);  // (S, B, D)
}

}  // namespace robotrain
