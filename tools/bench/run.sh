#!/usr/bin/env bash
# Training speed of biornn vs PyTorch, alternating the two in one run; prints a Markdown table
# and writes it to tools/bench/last_results.md.
#   tools/bench/setup.sh            # once: Debian's python3-torch + OpenBLAS (the peer)
#   tools/bench/run.sh              # full run (~15-30 min on 2 cores); wants a quiet machine
#   tools/bench/run.sh --quick      # smoke test: few minibatches, not a measurement
#   tools/bench/run.sh --memory     # also BPTT peak RSS vs T for each model
# Other options (--rounds, --models, --shapes, --fp, --threads, --peer-threads, --wait-idle,
# --peer-coretype): tools/bench/compare.py --help.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "run.sh: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
"$(command -v bz || echo bazel)" build //runners:bench >&2   # bz: the machine-wide Bazel lock, where it exists

# A private copy of the binary, its plugins and core library: a build by someone else during
# the run (e.g. with other copts) would otherwise replace the files under bazel-bin.
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/biornn-bench.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/runners"
cp -L bazel-bin/runners/bench "$STAGE/runners/bench"
cp -rL bazel-bin/runners/bench.runfiles "$STAGE/runners/bench.runfiles"
cp -rL bazel-bin/_solib_k8 "$STAGE/_solib_k8"
chmod -R u+w "$STAGE"

# The orchestrator needs no torch; the peers run under Debian's python (PEER_PYTHON), with
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset in their command only (compare.py does that).
"${PYTHON:-python3}" tools/bench/compare.py --bench "$STAGE/runners/bench" "$@"
