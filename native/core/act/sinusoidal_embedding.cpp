// Legend: P positions, D embedding width, K the 2-D embedding's width per axis, H and W
// feature-map height and width.
#include "core/act/sinusoidal_embedding.h"

#include <cmath>
#include <vector>

namespace robotrain {

torch::Tensor sinusoidal_table_1d(int64_t positions, int64_t dimension) {
  std::vector<double> table(static_cast<size_t>(positions * dimension));
  for (int64_t p = 0; p < positions; p++) {
    for (int64_t j = 0; j < dimension; j++) {
      const double exponent = 2.0 * static_cast<double>(j / 2) / static_cast<double>(dimension);
      const double angle = static_cast<double>(p) / std::pow(10000.0, exponent);
      table[static_cast<size_t>(p * dimension + j)] =
          j % 2 == 0 ? std::sin(angle) : std::cos(angle);
    }
  }
  return torch::tensor(table, torch::kDouble).reshape({positions, dimension}).to(torch::kFloat);
}

torch::Tensor sinusoidal_embedding_2d(const torch::Tensor& feature_map, int64_t dimension) {
  const double two_pi = 2 * M_PI;
  const double eps = 1e-6;
  const int64_t height = feature_map.size(2);
  const int64_t width = feature_map.size(3);
  auto options = torch::TensorOptions().dtype(torch::kFloat).device(feature_map.device());

  torch::Tensor ones = torch::ones({1, height, width}, options);  // (1, H, W)
  torch::Tensor y_range = ones.cumsum(1);                         // (1, H, W): 1..H down
  torch::Tensor x_range = ones.cumsum(2);                         // (1, H, W): 1..W across
  y_range = y_range / (y_range.slice(1, height - 1, height) + eps) * two_pi;  // (1, H, W)
  x_range = x_range / (x_range.slice(2, width - 1, width) + eps) * two_pi;    // (1, H, W)

  torch::Tensor half_index = torch::div(torch::arange(dimension, options), 2, "floor");  // (K)
  torch::Tensor inverse_frequency = torch::pow(10000.0, 2 * half_index / dimension);     // (K)
  x_range = x_range.unsqueeze(-1) / inverse_frequency;  // (1, H, W, K)
  y_range = y_range.unsqueeze(-1) / inverse_frequency;  // (1, H, W, K)

  using torch::indexing::None;
  using torch::indexing::Slice;
  // Interleaved: sin of the even-indexed frequencies, cos of the odd-indexed ones.
  torch::Tensor embed_x = torch::stack({x_range.index({"...", Slice(0, None, 2)}).sin(),
                                        x_range.index({"...", Slice(1, None, 2)}).cos()},
                                       -1)
                              .flatten(3);  // (1, H, W, K)
  torch::Tensor embed_y = torch::stack({y_range.index({"...", Slice(0, None, 2)}).sin(),
                                        y_range.index({"...", Slice(1, None, 2)}).cos()},
                                       -1)
                              .flatten(3);                         // (1, H, W, K)
  return torch::cat({embed_y, embed_x}, 3).permute({0, 3, 1, 2});  // (1, 2K, H, W)
}

}  // namespace robotrain
