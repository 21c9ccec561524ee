#!/usr/bin/env bash
# Installs the PyTorch peer of the benchmark from Debian's packages (no pip, no downloads
# outside apt). The framework's build and tests never need torch; only tools/bench does.
#   sudo tools/bench/setup.sh          (or as root)
set -euo pipefail

PKGS=(python3-torch libopenblas0-pthread)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: already installed: ${PKGS[*]}"
else
  # Is there a candidate? If not, the package lists are stale or absent: update once.
  need_update=0
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; fi
  done
  if [ $need_update = 1 ]; then $SUDO apt-get update; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine for old OpenBLAS bugs;
# torch is checked without them (tools/bench/run.sh unsets them for the peers only).
# Debian's torch is importable from Debian's python only (a pyenv/venv python3 earlier on PATH
# does not see it): use /usr/bin/python3 unless PYTHON says otherwise.
PYTHON=${PYTHON:-/usr/bin/python3}
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" - <<'PY'
import torch
print("setup: torch", torch.__version__, "threads", torch.get_num_threads())
cfg = torch.__config__.show()
blas = [l.strip() for l in cfg.splitlines() if "BLAS" in l or "LAPACK" in l or "MKL" in l or "oneDNN" in l or "MKLDNN" in l]
print("setup: torch build: " + " | ".join(blas))
PY
