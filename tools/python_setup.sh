#!/usr/bin/env bash
# python_setup.sh: builds the biornn Python package and makes `import biornn` work in Debian's
# python3 (/usr/bin/python3) and its Jupyter kernel, from any directory, in a fresh shell.
#
# Usage: tools/python_setup.sh            (as root it first installs missing Debian packages)
# It builds //python:biornn/_biornn.so (pybind11 extension over core's shared libraries) and
# //plugins:all with Bazel, then writes biornn.pth into the site-packages of /usr/bin/python3,
# pointing at this checkout's python/ folder. Run it again after changing C++ code.
set -euo pipefail

readonly PACKAGES=(python3 python3-dev pybind11-dev python3-pybind11 python3-numpy python3-pandas
  python3-matplotlib python3-optuna python3-pytest jupyter-nbconvert python3-ipykernel)
readonly PYTHON=/usr/bin/python3

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo
say() { echo "python_setup.sh: $*"; }

if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

# `bz` (a machine-wide lock around bazel) where there is one, else bazel itself.
bazel_cmd=bazel
command -v bz >/dev/null && bazel_cmd=bz
(cd "$repo" && "$bazel_cmd" build //python:biornn/_biornn.so //plugins:all)

site=$("$PYTHON" -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$site"
echo "$repo/python" >"$site/biornn.pth"
say "wrote $site/biornn.pth -> $repo/python"
(cd / && "$PYTHON" -c 'import biornn; print("python_setup.sh: import biornn works:", biornn.__file__)')
