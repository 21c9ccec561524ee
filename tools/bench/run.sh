#!/usr/bin/env bash
# Training speed of biornn vs PyTorch, alternating the two in one run; prints a Markdown table
# and writes it to tools/bench/last_results.md.
#   tools/bench/setup.sh            # once: Debian's python3-torch + OpenBLAS (the peer)
#   tools/bench/run.sh              # full run (~10 min on 2 cores); run it on a quiet machine
#   tools/bench/run.sh --quick      # smoke test: few minibatches, not a measurement
#   tools/bench/run.sh --memory     # also BPTT peak RSS vs T for each model
# Other options (--rounds, --models, --shapes, --peer-threads): tools/bench/compare.py --help.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "run.sh: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
bazel build //runners:bench >&2
# The orchestrator needs no torch; the peers run under Debian's python (PEER_PYTHON), with
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset in their command only (compare.py does that).
exec "${PYTHON:-python3}" tools/bench/compare.py --bench bazel-bin/runners/bench "$@"
