// robotrain-native: the training core without Node, for GPU boxes and CI.
//   robotrain-native parity <fixture-dir> [--device cpu|cuda|auto] [--precision fp32|bf16]
//   robotrain-native bench [--policy act|mlp] [--device D] [--precision P] [--loop L]
//                          [--steps N] [--warmup N] [--batch B] [--cameras N] [--height H]
//                          [--width W] [--chunk-size S] [--dim-model D] [--act-fields FILE]
//                          [--batch-file FILE]
// Exit status: 0 success, 1 a failed check or error, 2 a usage error.
#include <c10/util/Exception.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/bench.h"
#include "cli/parity.h"

namespace {

constexpr const char* kUsage =
    "usage: robotrain-native parity <fixture-dir> [--device cpu|cuda|auto]\n"
    "                               [--precision fp32|bf16]\n"
    "       robotrain-native bench [--policy act|mlp] [--device D] [--precision auto|fp32|bf16]\n"
    "                              [--loop both|trainer|bare] [--steps N] [--warmup N]\n"
    "                              [--batch B] [--cameras N] [--height H] [--width W]\n"
    "                              [--chunk-size S] [--dim-model D] [--act-fields FILE]\n"
    "                              [--batch-file FILE]\n";

// "--name value" pairs after the subcommand's positional arguments.
std::map<std::string, std::string> flags_of(const std::vector<std::string>& args, size_t from) {
  std::map<std::string, std::string> flags;
  for (size_t i = from; i < args.size(); i += 2) {
    if (args[i].rfind("--", 0) != 0 || i + 1 >= args.size()) {
      throw std::invalid_argument("expected --name value, got '" + args[i] + "'");
    }
    flags[args[i].substr(2)] = args[i + 1];
  }
  return flags;
}

int64_t integer_flag(std::map<std::string, std::string>& flags, const char* name,
                     int64_t fallback) {
  auto found = flags.find(name);
  if (found == flags.end()) return fallback;
  const int64_t value = std::stoll(found->second);
  flags.erase(found);
  return value;
}

std::string string_flag(std::map<std::string, std::string>& flags, const char* name,
                        const std::string& fallback) {
  auto found = flags.find(name);
  if (found == flags.end()) return fallback;
  std::string value = found->second;
  flags.erase(found);
  return value;
}

void reject_unknown(const std::map<std::string, std::string>& flags) {
  if (!flags.empty()) throw std::invalid_argument("unknown option --" + flags.begin()->first);
}

int run(const std::vector<std::string>& args) {
  if (args.empty()) throw std::invalid_argument("no subcommand given");
  if (args[0] == "parity") {
    if (args.size() < 2) throw std::invalid_argument("parity needs a fixture folder");
    auto flags = flags_of(args, 2);
    robotrain::ParityOptions options;
    options.fixture_dir = args[1];
    options.device = string_flag(flags, "device", options.device);
    options.precision = string_flag(flags, "precision", options.precision);
    reject_unknown(flags);
    return robotrain::run_parity(options, std::cout);
  }
  if (args[0] == "bench") {
    auto flags = flags_of(args, 1);
    robotrain::BenchOptions options;
    options.policy = string_flag(flags, "policy", options.policy);
    options.device = string_flag(flags, "device", options.device);
    options.precision = string_flag(flags, "precision", options.precision);
    options.loop = string_flag(flags, "loop", options.loop);
    options.act_fields = string_flag(flags, "act-fields", options.act_fields);
    options.batch_file = string_flag(flags, "batch-file", options.batch_file);
    options.steps = integer_flag(flags, "steps", options.steps);
    options.warmup = integer_flag(flags, "warmup", options.warmup);
    options.batch = integer_flag(flags, "batch", options.batch);
    options.cameras = integer_flag(flags, "cameras", options.cameras);
    options.height = integer_flag(flags, "height", options.height);
    options.width = integer_flag(flags, "width", options.width);
    options.chunk_size = integer_flag(flags, "chunk-size", options.chunk_size);
    options.dim_model = integer_flag(flags, "dim-model", options.dim_model);
    reject_unknown(flags);
    return robotrain::run_bench(options, std::cout);
  }
  throw std::invalid_argument("unknown subcommand '" + args[0] + "'");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run(args);
  } catch (const std::invalid_argument& error) {
    std::cerr << "robotrain-native: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const c10::Error& error) {
    std::cerr << "robotrain-native: " << error.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "robotrain-native: " << error.what() << "\n";
    return 1;
  }
}
