#!/usr/bin/env bash
# One-run check of the native core on a GPU box that has PyTorch (CUDA), CMake and a C++
# compiler, and neither Node nor npm:
#   1. builds native/CMakeLists.txt against the machine's python3 torch (or $LIBTORCH);
#   2. runs the golden ACT parity check (robotrain-native parity) in float32, and in bf16
#      autocast on CUDA, each with its stated tolerances (native/cli/parity.cpp);
#   3. times the training step, trainer and bare libtorch loop, for the three configurations of
#      bench/train-configs.ts, in fp32 and (on CUDA) bf16;
#   4. records nvidia-smi, the torch and compiler versions, every log, and summary.{json,md}.
# It exits 1, saying which, when the build, a parity check or a benchmark fails.
#
#   scripts/gpu-check.sh <results-dir> [--device cuda|cpu] [--fixture DIR] [--steps N]
#                        [--warmup N] [--build-dir DIR] [--configs small,default-240x320,...]
#
# --device cpu runs the same flow on a CPU-only machine (bf16 parity is then skipped, saying
# why), with fewer steps unless --steps says otherwise.
set -euo pipefail

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RESULTS="${1:-}"
[[ -n "$RESULTS" && "$RESULTS" != --* ]] || usage
shift
DEVICE=cuda
FIXTURE="$REPO_ROOT/../shared/fixtures/act-golden-small"
BUILD_DIR="$REPO_ROOT/native/build"
CONFIGS="small,default-240x320,default-480x640"
STEPS=""
WARMUP=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) DEVICE="$2" ;;
    --fixture) FIXTURE="$2" ;;
    --steps) STEPS="$2" ;;
    --warmup) WARMUP="$2" ;;
    --build-dir) BUILD_DIR="$2" ;;
    --configs) CONFIGS="$2" ;;
    *) echo "gpu-check: unknown option '$1'" >&2; usage ;;
  esac
  shift 2 || usage
done
case "$DEVICE" in
  cuda | cuda:*) ON_CUDA=1 ;;
  cpu) ON_CUDA=0 ;;
  *) echo "gpu-check: --device must be cuda, cuda:<index> or cpu, got '$DEVICE'" >&2; exit 2 ;;
esac
# A GPU step takes milliseconds: many steps for a stable median. On a CPU one step of the
# default ACT at 480x640 takes 15-20 s: a few, to prove the flow.
if [[ $ON_CUDA == 1 ]]; then
  STEPS="${STEPS:-30}" WARMUP="${WARMUP:-5}" PRECISIONS="fp32 bf16"
else
  STEPS="${STEPS:-2}" WARMUP="${WARMUP:-1}" PRECISIONS="fp32"
fi

mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
BIN="$BUILD_DIR/robotrain-native"
FAILURES=()

fail() {
  echo "gpu-check: FAILED: $*" >&2
  FAILURES+=("$*")
}

# ---- 1. The machine --------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "uname: $(uname -a)"
  echo "cmake: $(cmake --version | head -n 1)"
  echo "c++: $(c++ --version | head -n 1)"
  echo "git: $(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo 'not a git checkout')"
  echo "python3 torch: $("${PYTHON:-python3}" -c 'import torch; print(torch.__version__, "cuda",
    torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "available",
    torch.cuda.is_available())' 2>&1 | tail -n 1)"
} > "$RESULTS/environment.txt"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi > "$RESULTS/nvidia-smi.txt" 2>&1 || fail "nvidia-smi exited $?"
elif [[ $ON_CUDA == 1 ]]; then
  echo "gpu-check: --device $DEVICE but nvidia-smi is not on the PATH; is the driver installed?" >&2
  exit 1
else
  echo "nvidia-smi: not installed (CPU run)" > "$RESULTS/nvidia-smi.txt"
fi
cat "$RESULTS/environment.txt"

# ---- 2. Build --------------------------------------------------------------------------------
echo "gpu-check: building $BIN (log: $RESULTS/build.log)"
if ! { cmake -S "$REPO_ROOT/native" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$BUILD_DIR" -j "$(nproc)"; } > "$RESULTS/build.log" 2>&1; then
  tail -n 30 "$RESULTS/build.log" >&2
  echo "gpu-check: FAILED: the build; see $RESULTS/build.log" >&2
  exit 1
fi
grep -m 1 "robotrain: libtorch from" "$RESULTS/build.log" || true

# ---- 3. Golden parity ------------------------------------------------------------------------
[[ -f "$FIXTURE/expected.safetensors" ]] || {
  echo "gpu-check: no golden fixture at $FIXTURE; give its folder with --fixture" >&2
  exit 1
}
# Limitation: the bf16 tolerances are provisional — no GPU was at hand to measure them; each
# log and summary.md list the worst error per category beside its limit, to tighten them from.
for precision in fp32 bf16; do
  log="$RESULTS/parity-$precision.log"
  if [[ $precision == bf16 && $ON_CUDA == 0 ]]; then
    echo "SKIPPED: bf16 autocast runs on CUDA only; this run is on $DEVICE" > "$log"
    continue
  fi
  echo "gpu-check: parity in $precision on $DEVICE"
  if ! "$BIN" parity "$FIXTURE" --device "$DEVICE" --precision "$precision" > "$log" 2>&1; then
    fail "parity in $precision on $DEVICE (see $log)"
  fi
  cat "$log"
done

# ---- 4. Step benchmark -----------------------------------------------------------------------
config_args() {
  case "$1" in
    small) echo "--act-fields $REPO_ROOT/bench/configs/act-small.json --height 96 --width 128" ;;
    default-240x320)
      echo "--act-fields $REPO_ROOT/bench/configs/act-default.json --height 240 --width 320" ;;
    default-480x640)
      echo "--act-fields $REPO_ROOT/bench/configs/act-default.json --height 480 --width 640" ;;
    *) return 1 ;;
  esac
}
for config in ${CONFIGS//,/ }; do
  args="$(config_args "$config")" || { fail "unknown benchmark config '$config'"; continue; }
  for precision in $PRECISIONS; do
    out="$RESULTS/bench-$config-$precision"
    echo "gpu-check: bench $config in $precision ($WARMUP + $STEPS steps)"
    # shellcheck disable=SC2086 # config_args holds several arguments
    if "$BIN" bench --loop both --device "$DEVICE" --precision "$precision" --batch 8 \
      --cameras 1 --warmup "$WARMUP" --steps "$STEPS" $args > "$out.json" 2> "$out.log"; then
      cat "$out.json"
    else
      fail "bench $config in $precision (see $out.log)"
    fi
  done
done

# ---- 5. Summary ------------------------------------------------------------------------------
"${PYTHON:-python3}" - "$RESULTS" "$DEVICE" "${FAILURES[@]+"${FAILURES[@]}"}" <<'PY'
import json, pathlib, re, sys

results, device, failures = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
parity = {}
for log in sorted(results.glob("parity-*.log")):
    text = log.read_text()
    worst = {m[0]: {"error": float(m[1]), "limit": float(m[2]), "tensor": m[3]}
             for m in re.findall(r"^(\w+): worst (\S+) \(limit (\S+)\) at (\S+)$", text, re.M)}
    verdict = re.search(r"^(PASS|FAIL|SKIPPED)\b.*$", text, re.M)
    parity[log.stem.removeprefix("parity-")] = {
        "result": verdict.group(0) if verdict else "no verdict: " + text.strip()[-300:],
        "worst": worst,
    }
bench = []
for out in sorted(results.glob("bench-*.json")):
    text = out.read_text().strip()
    if text:
        bench.append({"run": out.stem.removeprefix("bench-"), **json.loads(text)})
summary = {"device": device, "failures": failures, "parity": parity, "bench": bench,
           "environment": (results / "environment.txt").read_text().splitlines()}
(results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

lines = [f"# GPU check on {device}", "", "Environment:", ""]
lines += [f"- {line}" for line in summary["environment"]]
lines += ["", "## Parity", ""]
for precision, entry in parity.items():
    lines += [f"**{precision}**: {entry['result']}", ""]
    if entry["worst"]:
        lines += ["| category | worst error | limit | error / limit | tensor |", "|---|---|---|---|---|"]
        for category, w in entry["worst"].items():
            ratio = w["error"] / w["limit"] if w["limit"] else float("inf")
            lines.append(f"| {category} | {w['error']:.3g} | {w['limit']:.3g} | {ratio:.3f} | {w['tensor']} |")
        lines.append("")
lines += ["## Step benchmark (trainer vs bare libtorch loop, C++ only)", "",
          "| run | device | precision | steps | trainer ms | bare ms | overhead % | samples/s | peak allocated MiB, trainer / bare | peak RSS MiB |",
          "|---|---|---|---|---|---|---|---|---|---|"]
for b in bench:
    memory = (f"{b['peakAllocatedMiB']:.0f} / {b['barePeakAllocatedMiB']:.0f}"
              if "barePeakAllocatedMiB" in b else "-")
    lines.append(f"| {b['run']} | {b['device']} | {b['precision']} | {b['warmup']} + {b['steps']} | "
                 f"{b['stepMsMedian']:.1f} | {b['bareStepMsMedian']:.1f} | {b['hostOverheadPercent']:.2f} | "
                 f"{b['samplesPerSecond']:.1f} | {memory} | {b['peakRssMiB']:.0f} |")
lines += ["", "## Failures", ""] + ([f"- {f}" for f in failures] or ["none"]) + [""]
(results / "summary.md").write_text("\n".join(lines))
PY

echo "gpu-check: wrote $RESULTS/summary.md and summary.json"
if [[ ${#FAILURES[@]} -gt 0 ]]; then
  printf 'gpu-check: FAILED: %s\n' "${FAILURES[@]}" >&2
  exit 1
fi
echo "gpu-check: all checks passed"
