// The fixed sinusoidal position embeddings of ACT: the 1-D table of the VAE encoder's tokens
// and the 2-D embedding of the image feature-map pixels.
//
// Legend: P positions, D embedding width, K the width per axis of the 2-D embedding (its
// `dimension`, D/2 in ACT), B batch, H and W feature-map height and width.
#pragma once

#include <torch/torch.h>

namespace robotrain {

// The "Attention is all you need" table, (P, D) float32: row p, column j holds
// sin(p / 10000^(2*(j//2)/D)) for even j and cos(...) for odd j, computed in float64 (as
// LeRobot does with numpy) and then rounded to float32.
torch::Tensor sinusoidal_table_1d(int64_t positions, int64_t dimension);

// The 2-D embedding of a (B, any, H, W) feature map, returned as (1, 2K, H, W), K = dimension:
// the first `dimension` channels encode the row (y), the rest the column (x). Each position
// index i = 1..H (or 1..W) is scaled to i / (H + 1e-6) * 2pi and expanded into sin/cos pairs of
// frequencies 10000^(2*(k//2)/dimension), in float32, as LeRobot's
// ACTSinusoidalPositionEmbedding2d computes it.
torch::Tensor sinusoidal_embedding_2d(const torch::Tensor& feature_map, int64_t dimension);

}  // namespace robotrain
