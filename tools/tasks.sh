#!/usr/bin/env bash
# Trains every graph in graphs/tasks/ (the simple GRU and varying conductance + Dale on the five
# cognitive tasks), analyses each run, and prints what the README's task table reports: the
# test score, the trainer's wall time, % correct by evidence magnitude (choice tasks) and the
# fixed points found (every task; the flip-flop's are the ones to look at).
#   tools/tasks.sh                    # all 10 graphs, ~8 min on 2 cores at 1 thread each
#   tools/tasks.sh flip_flop adding   # only these tasks
#   RUNS=/tmp/task_runs tools/tasks.sh
# Writes the runs under $RUNS (default runs/tasks_check) and the report to $RUNS/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$PWD/runs/tasks_check}
TRIALS=${TRIALS:-2048}
tasks=("$@")
[ ${#tasks[@]} -eq 0 ] && tasks=(perceptual_decision context_integration working_memory flip_flop adding)

bazel build //runners:train //runners:analyze >&2
mkdir -p "$RUNS"
report="$RUNS/report.md"
{
  echo "# tools/tasks.sh on $(date -u +%F) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores)"
  echo
} >"$report"
for task in "${tasks[@]}"; do
  for model in gru varying_dale; do
    graph="graphs/tasks/${task}_${model}.toml"
    dir="$RUNS/${task}_${model}"
    rm -rf "$dir"
    echo "tasks.sh: training $graph" >&2
    result=$(bazel-bin/runners/train "$graph" --run-dir "$dir" 2>&1 | grep '^result:')
    analysis=$(bazel-bin/runners/analyze "$dir" --trials "$TRIALS" 2>&1 | grep -v '^analyze: /')
    {
      echo "## ${task} / ${model}"
      echo
      echo "    $result"
      echo "$analysis" | sed 's/^/    /'
      echo
    } | tee -a "$report"
  done
done
echo "tasks.sh: report in $report" >&2
