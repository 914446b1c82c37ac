// Legend: B is batch, S chunk size, D model width, L latent width, A action dimension,
// J state dimension, E environment-state dimension, h and w a camera's feature-map size,
// T encoder tokens.
#include "core/act/act_model.h"

#include "core/act/sinusoidal_embedding.h"

namespace robotrain {

ActImpl::ActImpl(const ActConfig& config) : config_(config) {
  config.validate();
  const std::optional<PolicyFeature> state = config.robot_state_feature();
  const std::optional<PolicyFeature> env_state = config.env_state_feature();
  const bool has_images = !config.image_features().empty();
  const int64_t dim = config.dim_model;
  const int64_t action_dim = config.action_feature().shape[0];

  if (config.use_vae) {
    vae_encoder = register_module("vae_encoder", ActEncoder(config, /*is_vae_encoder=*/true));
    vae_encoder_cls_embed = register_module("vae_encoder_cls_embed", torch::nn::Embedding(1, dim));
    if (state) {
      vae_encoder_robot_state_input_proj = register_module("vae_encoder_robot_state_input_proj",
                                                           torch::nn::Linear(state->shape[0], dim));
    }
    vae_encoder_action_input_proj =
        register_module("vae_encoder_action_input_proj", torch::nn::Linear(action_dim, dim));
    vae_encoder_latent_output_proj = register_module("vae_encoder_latent_output_proj",
                                                     torch::nn::Linear(dim, 2 * config.latent_dim));
    const int64_t vae_tokens = 1 + config.chunk_size + (state ? 1 : 0);  // cls, state, actions
    vae_encoder_pos_enc =
        register_buffer("vae_encoder_pos_enc", sinusoidal_table_1d(vae_tokens, dim).unsqueeze(0));
  }

  if (has_images) {
    backbone = register_module("backbone", ResNetBackbone(config.vision_backbone));
  }
  encoder = register_module("encoder", ActEncoder(config, /*is_vae_encoder=*/false));
  decoder = register_module("decoder", ActDecoder(config));

  if (state) {
    encoder_robot_state_input_proj =
        register_module("encoder_robot_state_input_proj", torch::nn::Linear(state->shape[0], dim));
  }
  if (env_state) {
    encoder_env_state_input_proj = register_module("encoder_env_state_input_proj",
                                                   torch::nn::Linear(env_state->shape[0], dim));
  }
  encoder_latent_input_proj =
      register_module("encoder_latent_input_proj", torch::nn::Linear(config.latent_dim, dim));
  if (has_images) {
    encoder_img_feat_input_proj = register_module(
        "encoder_img_feat_input_proj",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(ResNetBackboneImpl::kFeatureChannels, dim, 1)));
  }
  const int64_t n_1d_tokens = 1 + (state ? 1 : 0) + (env_state ? 1 : 0);  // latent, state, env
  encoder_1d_feature_pos_embed =
      register_module("encoder_1d_feature_pos_embed", torch::nn::Embedding(n_1d_tokens, dim));
  decoder_pos_embed =
      register_module("decoder_pos_embed", torch::nn::Embedding(config.chunk_size, dim));
  action_head = register_module("action_head", torch::nn::Linear(dim, action_dim));

  // LeRobot's _reset_parameters: Xavier-uniform matrices in the encoder and decoder (the VAE
  // encoder keeps PyTorch's per-module initialisation).
  torch::NoGradGuard no_grad;
  for (torch::nn::Module* part : {static_cast<torch::nn::Module*>(encoder.get()),
                                  static_cast<torch::nn::Module*>(decoder.get())}) {
    for (auto& parameter : part->parameters()) {
      if (parameter.dim() > 1) torch::nn::init::xavier_uniform_(parameter);
    }
  }
}

void ActImpl::encode_latent(const ActInputs& inputs, int64_t batch, ActOutputs& out) {
  TORCH_CHECK(inputs.action.defined(), "the VAE encoder of a training step needs '", kAction,
              "' in the batch");
  const int64_t dim = config_.dim_model;
  const int64_t latent = config_.latent_dim;

  std::vector<torch::Tensor> tokens;
  tokens.push_back(vae_encoder_cls_embed->weight.unsqueeze(0).expand({batch, 1, dim}));  // (B,1,D)
  if (vae_encoder_robot_state_input_proj) {
    tokens.push_back(vae_encoder_robot_state_input_proj->forward(inputs.state).unsqueeze(1));
  }                                                                         // (B, 1, D)
  tokens.push_back(vae_encoder_action_input_proj->forward(inputs.action));  // (B, S, D)
  torch::Tensor vae_in = torch::cat(tokens, 1);                             // (B, S+2, D)
  const int64_t prefix = vae_in.size(1) - config_.chunk_size;               // cls (+ state)

  // cls and state are never padding; the actions are where the chunk ran past the episode.
  torch::Tensor action_is_pad =
      inputs.action_is_pad.defined()
          ? inputs.action_is_pad.to(torch::kBool)
          : torch::zeros({batch, config_.chunk_size}, vae_in.options().dtype(torch::kBool));
  torch::Tensor key_padding_mask =
      torch::cat({torch::zeros({batch, prefix}, action_is_pad.options()), action_is_pad},
                 1);  // (B, S+2)

  torch::Tensor pos_embed = vae_encoder_pos_enc.detach().permute({1, 0, 2});  // (S+2, 1, D)
  torch::Tensor encoded =
      vae_encoder->forward(vae_in.permute({1, 0, 2}), pos_embed, key_padding_mask);  // (S+2,B,D)
  out.vae_cls_token_out = encoded[0];                                                // (B, D)

  torch::Tensor pdf_params = vae_encoder_latent_output_proj->forward(out.vae_cls_token_out);
  out.mu = pdf_params.slice(1, 0, latent);                     // (B, L)
  out.log_sigma_x2 = pdf_params.slice(1, latent, 2 * latent);  // (B, L): 2 log(sigma)
  torch::Tensor eps = inputs.vae_eps.defined() ? inputs.vae_eps : torch::randn_like(out.mu);
  TORCH_CHECK(eps.sizes() == out.mu.sizes(), "vae_eps has shape ", eps.sizes(), "; expected ",
              out.mu.sizes(), " (B, latent_dim)");
  out.latent_sample = out.mu + out.log_sigma_x2.div(2).exp() * eps;  // (B, L)
}

std::pair<torch::Tensor, torch::Tensor> ActImpl::encoder_tokens(const ActInputs& inputs,
                                                                ActOutputs& out) {
  std::vector<torch::Tensor> tokens = {encoder_latent_input_proj->forward(out.latent_sample)};
  std::vector<torch::Tensor> pos = {encoder_1d_feature_pos_embed->weight.slice(0, 0, 1)};
  int64_t next_1d = 1;  // rows of encoder_1d_feature_pos_embed: latent, state, env
  if (encoder_robot_state_input_proj) {
    tokens.push_back(encoder_robot_state_input_proj->forward(inputs.state));  // (B, D)
    pos.push_back(encoder_1d_feature_pos_embed->weight.slice(0, next_1d, next_1d + 1));
    next_1d++;
  }
  if (encoder_env_state_input_proj) {
    tokens.push_back(encoder_env_state_input_proj->forward(inputs.env_state));  // (B, D)
    pos.push_back(encoder_1d_feature_pos_embed->weight.slice(0, next_1d, next_1d + 1));
  }
  torch::Tensor tokens_1d = torch::stack(tokens, 0);  // (1 + state + env, B, D)
  torch::Tensor pos_1d = torch::stack(pos, 0);        // (1 + state + env, 1, D)

  std::vector<torch::Tensor> all_tokens = {tokens_1d};
  std::vector<torch::Tensor> all_pos = {pos_1d};
  for (const torch::Tensor& image : inputs.images) {
    torch::Tensor features = backbone->forward(image);  // (B, 512, h, w)
    out.feature_maps.push_back(features);
    torch::Tensor cam_pos = sinusoidal_embedding_2d(features, config_.dim_model / 2)
                                .to(features.dtype());                   // (1, D, h, w)
    torch::Tensor cam = encoder_img_feat_input_proj->forward(features);  // (B, D, h, w)
    // Pixels become tokens in row-major order over (h, w).
    all_tokens.push_back(cam.permute({2, 3, 0, 1}).flatten(0, 1));   // (h*w, B, D)
    all_pos.push_back(cam_pos.permute({2, 3, 0, 1}).flatten(0, 1));  // (h*w, 1, D)
  }
  return {torch::cat(all_tokens, 0), torch::cat(all_pos, 0)};  // (T, B, D), (T, 1, D)
}

ActOutputs ActImpl::forward(const ActInputs& inputs) {
  const int64_t batch = inputs.images.empty() ? inputs.env_state.size(0) : inputs.images[0].size(0);
  ActOutputs out;

  if (config_.use_vae && is_training()) {
    encode_latent(inputs, batch, out);
  } else {
    // Without the VAE branch the latent is zero: the mean of its prior.
    torch::Device device =
        inputs.images.empty() ? inputs.env_state.device() : inputs.images[0].device();
    out.latent_sample = torch::zeros({batch, config_.latent_dim},
                                     torch::TensorOptions().dtype(torch::kFloat).device(device));
  }

  auto [tokens, pos_embed] = encoder_tokens(inputs, out);  // (T, B, D), (T, 1, D)
  out.encoder_out = encoder->forward(tokens, pos_embed);   // (T, B, D)

  torch::Tensor decoder_in = torch::zeros({config_.chunk_size, batch, config_.dim_model},
                                          pos_embed.options());  // (S, B, D)
  out.decoder_out =
      decoder->forward(decoder_in, out.encoder_out, decoder_pos_embed->weight.unsqueeze(1),
                       pos_embed);                                      // (S, B, D)
  out.actions = action_head->forward(out.decoder_out.transpose(0, 1));  // (B, S, A)
  return out;
}

}  // namespace robotrain
