#!/usr/bin/env bash
# Every job of the experiment, one after another on this machine: ./run_all.sh [N] [train.py options...]
# (N processes per job: the GPUs present, else 2 CPU processes with gloo). Results land in runs/;
# bring them home with `cvb experiment import <this folder>`. TORCHRUN_ARGS adds torchrun options.
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then nproc="$1"; shift
elif command -v nvidia-smi >/dev/null 2>&1; then nproc="$(nvidia-smi -L | wc -l)"
else nproc=2; fi
tail -n +2 jobs.tsv | while IFS=$'\t' read -r task arm seed run job; do
  echo "job $task: arm $arm, seed $seed -> runs/$run"
  # shellcheck disable=SC2086 # TORCHRUN_ARGS holds several options
  torchrun --standalone --nproc_per_node="$nproc" ${TORCHRUN_ARGS:-} train.py --job "$job" --seed "$seed" --run-id "$run" --out runs "$@" </dev/null
done
