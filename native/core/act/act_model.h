// ACT, the Action Chunking Transformer (Zhao et al., 2023), as LeRobot v0.3.3's `ACT` module
// (`model.*` in a LeRobot state dict): a ResNet reads each camera, a transformer encoder reads
// [latent, robot state, environment state, image pixels], and a transformer decoder turns
// chunk_size zero queries into the action chunk. In training, a VAE encoder over
// [cls, robot state, action chunk] gives the latent's distribution; otherwise the latent is 0.
//
// Legend: B is batch, S chunk size, D model width (dim_model), L latent width, A action
// dimension, J state dimension, E environment-state dimension, N cameras, h and w a camera's
// feature-map height and width, T encoder tokens (1 latent + 1 state + 1 env + N*h*w).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/act/act_config.h"
#include "core/act/resnet_backbone.h"
#include "core/act/transformer.h"

namespace robotrain {

// The model's inputs, already normalised.
struct ActInputs {
  torch::Tensor state;                // (B, J); undefined when there is no robot state
  torch::Tensor env_state;            // (B, E); undefined when there is no environment state
  std::vector<torch::Tensor> images;  // N x (B, 3, H, W), in camera order
  torch::Tensor action;               // (B, S, A); needed for the VAE branch
  torch::Tensor action_is_pad;        // bool (B, S); true past the episode end
  // (B, L) reparameterisation noise for the VAE's latent sample; undefined draws it from
  // N(0, 1), as LeRobot's torch.randn_like(mu).
  torch::Tensor vae_eps;
};

struct ActOutputs {
  torch::Tensor actions;                    // (B, S, A), normalised
  torch::Tensor mu;                         // (B, L); undefined unless the VAE branch ran
  torch::Tensor log_sigma_x2;               // (B, L); undefined unless the VAE branch ran
  torch::Tensor latent_sample;              // (B, L)
  torch::Tensor vae_cls_token_out;          // (B, D); undefined unless the VAE branch ran
  std::vector<torch::Tensor> feature_maps;  // N x (B, 512, h, w)
  torch::Tensor encoder_out;                // (T, B, D)
  torch::Tensor decoder_out;                // (S, B, D), after the decoder's final norm
};

class ActImpl : public torch::nn::Module {
 public:
  explicit ActImpl(const ActConfig& config);

  // The VAE branch runs in training mode when use_vae is set; it needs `action`.
  ActOutputs forward(const ActInputs& inputs);

 private:
  // The VAE encoder: fills mu, log_sigma_x2, vae_cls_token_out and latent_sample.
  void encode_latent(const ActInputs& inputs, int64_t batch, ActOutputs& out);
  // The transformer encoder's input tokens (T, B, D) and their position embeddings (T, 1, D).
  std::pair<torch::Tensor, torch::Tensor> encoder_tokens(const ActInputs& inputs, ActOutputs& out);

  ActConfig config_;

  ActEncoder vae_encoder{nullptr};
  torch::nn::Embedding vae_encoder_cls_embed{nullptr};
  torch::nn::Linear vae_encoder_robot_state_input_proj{nullptr};
  torch::nn::Linear vae_encoder_action_input_proj{nullptr};
  torch::nn::Linear vae_encoder_latent_output_proj{nullptr};
  torch::Tensor vae_encoder_pos_enc;  // (1, S + 1 (+ 1 with a robot state), D), fixed

  ResNetBackbone backbone{nullptr};
  ActEncoder encoder{nullptr};
  ActDecoder decoder{nullptr};
  torch::nn::Linear encoder_robot_state_input_proj{nullptr};
  torch::nn::Linear encoder_env_state_input_proj{nullptr};
  torch::nn::Linear encoder_latent_input_proj{nullptr};
  torch::nn::Conv2d encoder_img_feat_input_proj{nullptr};
  torch::nn::Embedding encoder_1d_feature_pos_embed{nullptr};
  torch::nn::Embedding decoder_pos_embed{nullptr};
  torch::nn::Linear action_head{nullptr};
};

TORCH_MODULE(Act);

}  // namespace robotrain
