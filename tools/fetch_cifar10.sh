#!/usr/bin/env bash
# fetch_cifar10.sh: downloads CIFAR-10 (binary version) from its official site and verifies it.
#
# Usage: tools/fetch_cifar10.sh [DIR]              into DIR/cifar-10-batches-bin (default: data/)
#        tools/fetch_cifar10.sh --verify-only DIR  only check the six .bin files in DIR
# Needs curl or wget and the internet (about 163 MB). Safe to run again: a copy that already
# verifies is left alone. $BIORNN_CIFAR10_URL replaces the download address (a mirror).
set -euo pipefail

readonly URL="${BIORNN_CIFAR10_URL:-https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz}"
readonly ARCHIVE_MD5=c32a1d4ab5d03f1284b67883e8d87530  # published beside the archive
readonly SUBDIR=cifar-10-batches-bin                     # what the archive unpacks to
# sha256 of the files inside the archive (the verified copy in ../shared/data).
readonly BIN_FILES=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin
  data_batch_5.bin test_batch.bin)
declare -A BIN_SHA256=(
  [data_batch_1.bin]=cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5
  [data_batch_2.bin]=a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed
  [data_batch_3.bin]=bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67
  [data_batch_4.bin]=014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48
  [data_batch_5.bin]=755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add
  [test_batch.bin]=8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b
)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo

say() { echo "fetch_cifar10.sh: $*"; }
die() {
  echo "fetch_cifar10.sh: error: $*" >&2
  exit 1
}
usage() { sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

# Checks the six .bin files of dir $1 against BIN_SHA256. With $2 = quiet, prints nothing.
# Succeeds only when every file is there with the right checksum.
verify_bins() {
  local dir=$1 quiet=${2:-} name got bad=0
  for name in "${BIN_FILES[@]}"; do
    if [[ ! -f $dir/$name ]]; then
      [[ -n $quiet ]] || say "MISSING $dir/$name"
      bad=1
      continue
    fi
    got="$(sha256sum -- "$dir/$name" | cut -d' ' -f1)"
    if [[ $got == "${BIN_SHA256[$name]}" ]]; then
      [[ -n $quiet ]] || say "ok      $dir/$name"
    else
      [[ -n $quiet ]] || say "BAD     $dir/$name: sha256 $got, expected ${BIN_SHA256[$name]}"
      bad=1
    fi
  done
  return "$bad"
}

download() {  # url, output file
  if command -v curl >/dev/null; then
    curl --fail --location --progress-bar --retry 3 --connect-timeout 30 --output "$2" "$1"
  elif command -v wget >/dev/null; then
    wget --tries=3 --timeout=30 --output-document="$2" "$1"
  else
    die "neither curl nor wget is installed (sudo apt-get install curl)"
  fi
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  --verify-only)
    (($# == 2)) || die "usage: tools/fetch_cifar10.sh --verify-only DIR"
    dir=$2
    # Accept the parent of cifar-10-batches-bin as well.
    [[ ! -f $dir/${BIN_FILES[0]} && -d $dir/$SUBDIR ]] && dir=$dir/$SUBDIR
    if verify_bins "$dir"; then
      say "all six files in $dir verified"
      exit 0
    fi
    die "$dir does not hold a verified CIFAR-10 (run tools/fetch_cifar10.sh to fetch it again)"
    ;;
  -*)
    usage >&2
    die "unknown option '$1'"
    ;;
esac
(($# <= 1)) || die "usage: tools/fetch_cifar10.sh [DIR]"

dest="${1:-$repo/data}"
target="$dest/$SUBDIR"
if verify_bins "$target" quiet; then
  say "$target already holds CIFAR-10 (sha256 ok); nothing to do"
  exit 0
fi

mkdir -p "$dest"
work="$(mktemp -d "$dest/.fetch_cifar10.XXXXXX")"  # same file system: the final mv is atomic
trap 'rm -rf "$work"' EXIT

say "downloading $URL"
download "$URL" "$work/cifar-10-binary.tar.gz" || die "download of $URL failed"
got="$(md5sum -- "$work/cifar-10-binary.tar.gz" | cut -d' ' -f1)"
[[ $got == "$ARCHIVE_MD5" ]] ||
  die "archive md5 $got, expected $ARCHIVE_MD5 (broken download, or not CIFAR-10 binary)"
say "archive md5 ok; unpacking"
tar -xzf "$work/cifar-10-binary.tar.gz" -C "$work"
rm -f "$work/cifar-10-binary.tar.gz"
[[ -d $work/$SUBDIR ]] || die "the archive has no $SUBDIR/ folder"
verify_bins "$work/$SUBDIR" || die "unpacked files do not match their checksums"

if [[ -e $target ]]; then
  rm -rf "$target.old"
  mv "$target" "$target.old"
  say "moved the previous, unverified $target to $target.old"
fi
mv "$work/$SUBDIR" "$target"
say "CIFAR-10 is in $target (50000 train / 10000 test records)"
