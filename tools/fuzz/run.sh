#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (tools/fuzz/Makefile, outside Bazel) and runs each
# for a bounded number of inputs. Prints per target the inputs executed and any crash; exits
# non-zero if any target crashed (or could not be built).
#
# Usage: tools/fuzz/run.sh [--runs-scale X] [--seed N] [--no-build] [TARGET...]
#   TARGET: graph, idx, cifar10 (default: all). --runs-scale multiplies every target's
#   input count (e.g. 10 for a longer local hunt; its time bound grows with it).
#   --seed: libFuzzer's seed, 1 by default so that CI explores the same inputs every run;
#   0 draws a new one (a local hunt).
# Environment: FUZZ_BUILD (default <repo>/bazel-out-fuzz, ignored by git), FUZZ_CXX (clang++).
#
# Each target starts from tests/fuzz/corpus/<target>/ (seeds) and tests/fuzz/regressions/
# <target>/ (every crash found so far), both copied to the build dir so new units never land
# in the tree. A crash leaves its input in $FUZZ_BUILD/findings/<target>/: copy it
# to tests/fuzz/regressions/<target>/, where //tests:bad_inputs_test replays it through
# the Bazel-built plugins. Findings that still wait for a fix are listed in
# tests/fuzz/known_crashes.txt: they are replayed apart and reported, and fail nothing.
# Results go to $FUZZ_BUILD/results.tsv (target, ok|crash, inputs).
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

# Inputs per target and the time bound of each (seconds): together about 2 minutes on
# 2 cores plus about 1 minute for a cold build (measured; see docs/bad_inputs.md).
declare -A RUNS=([graph]=200000 [idx]=20000 [cifar10]=50000)
declare -A SECONDS_MAX=([graph]=40 [idx]=45 [cifar10]=35)

scale=1
seed=1
build=1
targets=()
while (($#)); do
  case "$1" in
    --runs-scale) scale="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
    graph | idx | cifar10) targets+=("$1"); shift ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(graph idx cifar10)

out="${FUZZ_BUILD:-$repo/bazel-out-fuzz}"
mkdir -p "$out"
results="$out/results.tsv"
: >"$results"

if ((build)); then
  start=$(date +%s)
  if ! make -s -f tools/fuzz/Makefile -j"$(nproc)" BUILD="$out" CXX="${FUZZ_CXX:-clang++}"; then
    echo "fuzz: build failed (clang++ with libclang-rt-14-dev needed)"
    for t in "${targets[@]}"; do printf '%s\tcrash\t0\tbuild failed\n' "$t" >>"$results"; done
    exit 1
  fi
  echo "fuzz: built in $(($(date +%s) - start)) s"
fi

# The dataset targets write their files on each input: keep that in memory when possible.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

crashed=0
for t in "${targets[@]}"; do
  runs=$(awk -v r="${RUNS[$t]}" -v s="$scale" 'BEGIN { printf "%d", r * s }')
  max_time=$(awk -v r="${SECONDS_MAX[$t]}" -v s="$scale" 'BEGIN { printf "%d", r * s }')
  work="$out/corpus/$t"
  findings="$out/findings/$t"
  log="$out/$t.log"
  rm -rf "$work" "$findings"
  mkdir -p "$work" "$findings"
  cp -r tests/fuzz/corpus/"$t"/. "$work"/
  # Past findings join the corpus, except those still waiting for their fix.
  known=()
  for f in tests/fuzz/regressions/"$t"/*; do
    [[ -f $f ]] || continue
    if grep -q "^$t/$(basename "$f") " tests/fuzz/known_crashes.txt 2>/dev/null; then
      known+=("$f")
    else
      cp "$f" "$work"/
    fi
  done
  for f in "${known[@]}"; do
    if "$out/${t}_fuzzer" -runs=1 "$f" >"$out/$t.known.log" 2>&1; then
      echo "fuzz: $t: $(basename "$f") no longer crashes: delete its line from tests/fuzz/known_crashes.txt"
    else
      echo "fuzz: $t: $(basename "$f") still crashes (known, waiting for: $(grep "^$t/$(basename "$f") " tests/fuzz/known_crashes.txt | cut -d' ' -f2-))"
    fi
  done
  dict=()
  [[ -f tools/fuzz/$t.dict ]] && dict=(-dict="tools/fuzz/$t.dict")
  start=$(date +%s)
  "$out/${t}_fuzzer" "${dict[@]}" -seed="$seed" -runs="$runs" -max_total_time="$max_time" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$work" >"$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  if ((rc == 0)); then
    echo "fuzz: $t: $execs inputs in $secs s, no crash"
    printf '%s\tok\t%s\t\n' "$t" "$execs" >>"$results"
  else
    crashed=$((crashed + 1))
    what=$(grep -m1 -E 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|terminate called|deadly signal|timeout after|out-of-memory' "$log")
    unit=$(ls "$findings" 2>/dev/null | head -n 1)
    echo "fuzz: $t: CRASH after $execs inputs in $secs s: ${what:-exit code $rc}"
    echo "fuzz: $t: input: $findings/$unit (log: $log)"
    grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error:|terminate called' "$log" | sed 's/^/    /'
    printf '%s\tcrash\t%s\t%s\n' "$t" "$execs" "${what:-exit code $rc}" >>"$results"
  fi
done
echo "fuzz summary: ${#targets[@]} targets, $crashed crashed"
((crashed == 0))
