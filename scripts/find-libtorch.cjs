#!/usr/bin/env node
// Finds the libtorch that the native addon builds against and prints one build setting
// for binding.gyp (`<!@(node scripts/find-libtorch.cjs include_dirs)`).
//
// Order (DESIGN.md): $LIBTORCH (a folder with include/ and lib/, as in the official zip
// or a pip torch install), then a python3 that imports torch, then the system's Debian
// libtorch-dev. The first one found wins; none found stops the build with one message.
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const DEBIAN_INCLUDE = "/usr/include/torch/csrc/api/include";
const DEBIAN_LIB = "/usr/lib/x86_64-linux-gnu";

const HINT = [
  "robotrain: no libtorch found to build the native addon against.",
  "Looked at, in order:",
  "  1. $LIBTORCH (a folder with include/ and lib/; unset or not such a folder)",
  "  2. a python3 that can `import torch` (none)",
  `  3. Debian's libtorch-dev (${DEBIAN_INCLUDE}/torch/torch.h is missing)`,
  "Install one of them, for example:",
  "  sudo apt-get install libtorch-dev libopenblas0-pthread   # Debian 12, CPU",
  "  export LIBTORCH=/opt/libtorch                           # the official libtorch zip",
  "  pip install torch                                       # CUDA builds from PyTorch",
].join("\n");

/**
 * The CUDA headers ATen's CUDA headers include (cuda_runtime_api.h, cublas_v2.h, ...): the
 * toolkit's where one is installed, and those of the nvidia-* wheels a pip torch depends on.
 */
function cudaIncludeDirs(root) {
  const wheels = path.join(root, "..", "nvidia");
  const wheelDirs = fs.existsSync(wheels)
    ? fs.readdirSync(wheels).map((name) => path.join(wheels, name, "include"))
    : [];
  const toolkit = [process.env.CUDA_HOME, "/usr/local/cuda"]
    .filter(Boolean)
    .map((dir) => path.join(dir, "include"));
  return [...toolkit, ...wheelDirs].filter((dir) => fs.existsSync(dir));
}

/** A libtorch laid out as the official zip or a pip wheel: <root>/include, <root>/lib. */
function fromRoot(root, source) {
  const include = path.join(root, "include");
  const lib = path.join(root, "lib");
  if (!fs.existsSync(path.join(include, "torch/csrc/api/include/torch/torch.h"))) return null;
  const cuda = fs.existsSync(path.join(lib, "libtorch_cuda.so"));
  return {
    source,
    root,
    includeDirs: [
      include,
      path.join(include, "torch/csrc/api/include"),
      ...(cuda ? cudaIncludeDirs(root) : []),
    ],
    libDir: lib,
    cuda,
    cxx11Abi: null,
  };
}

function fromEnv() {
  const root = process.env.LIBTORCH;
  if (!root) return null;
  const found = fromRoot(root, "LIBTORCH");
  if (!found) {
    throw new Error(`robotrain: LIBTORCH=${root} has no include/torch/csrc/api/include/torch/torch.h;
point LIBTORCH at the unpacked libtorch folder (the one holding include/ and lib/).`);
  }
  return found;
}

function fromPython() {
  const probe =
    "import os, torch; print(os.path.dirname(torch.__file__)); " +
    "print(int(torch._C._GLIBCXX_USE_CXX11_ABI))";
  let out;
  try {
    out = execFileSync(process.env.PYTHON || "python3", ["-c", probe], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return null;
  }
  const [root, abi] = out.trim().split("\n");
  const found = root ? fromRoot(root, "python3 torch") : null;
  if (found) found.cxx11Abi = abi === "1";
  return found;
}

function fromSystem() {
  if (!fs.existsSync(path.join(DEBIAN_INCLUDE, "torch/torch.h"))) return null;
  return {
    source: "system",
    root: "/usr",
    includeDirs: ["/usr/include", DEBIAN_INCLUDE],
    libDir: DEBIAN_LIB,
    cuda: fs.existsSync(path.join(DEBIAN_LIB, "libtorch_cuda.so")),
    cxx11Abi: null,
  };
}

function findLibtorch() {
  const found = fromEnv() || fromPython() || fromSystem();
  if (!found) throw new Error(HINT);
  return found;
}

/**
 * The C++ standard to compile against this libtorch: C++17, or what its TorchConfig.cmake
 * asks of its users when that is newer (libtorch 2.13 asks for C++20).
 */
function cxxStandard(torch) {
  const config =
    torch.source === "system"
      ? path.join(torch.libDir, "cmake/Torch/TorchConfig.cmake")
      : path.join(torch.root, "share/cmake/Torch/TorchConfig.cmake");
  let asked = 0;
  try {
    const match = /CXX_STANDARD\s+(\d+)/.exec(fs.readFileSync(config, "utf8"));
    if (match) asked = Number(match[1]);
  } catch {
    // No TorchConfig.cmake (a trimmed install): the headers of 1.13 and 2.x build as C++17.
  }
  return Math.max(17, asked);
}

/** The build settings binding.gyp asks for, one per invocation. */
function setting(torch, name) {
  switch (name) {
    case "include_dirs":
      return torch.includeDirs;
    case "libraries": {
      const libs = ["-ltorch", "-ltorch_cpu", "-lc10"];
      if (torch.cuda) libs.push("-ltorch_cuda", "-lc10_cuda");
      return [`-L${torch.libDir}`, ...libs];
    }
    case "ldflags":
      // The addon finds libtorch at run time where it was built, with no LD_LIBRARY_PATH.
      // --no-as-needed keeps libtorch_cuda linked although no symbol of it is named: it
      // registers the CUDA backend when loaded.
      return [`-Wl,-rpath,${torch.libDir}`, "-Wl,--no-as-needed"];
    case "defines": {
      const defines = [];
      if (torch.cuda) defines.push("ROBOTRAIN_WITH_CUDA=1");
      if (torch.cxx11Abi !== null) defines.push(`_GLIBCXX_USE_CXX11_ABI=${torch.cxx11Abi ? 1 : 0}`);
      return defines;
    }
    case "cxx_std":
      return [`-std=c++${cxxStandard(torch)}`];
    case "summary":
      return [`${torch.source}: ${torch.root} (cuda: ${torch.cuda ? "yes" : "no"})`];
    default:
      throw new Error(`robotrain: find-libtorch has no setting '${name}'`);
  }
}

module.exports = { findLibtorch };

if (require.main === module) {
  try {
    const torch = findLibtorch();
    process.stdout.write(`${setting(torch, process.argv[2] || "summary").join(" ")}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
