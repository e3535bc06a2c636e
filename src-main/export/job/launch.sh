#!/usr/bin/env bash
# One machine, N processes: ./launch.sh [N] [train.py options...]
# N defaults to the GPUs present, else 2 CPU processes (gloo). TORCHRUN_ARGS adds torchrun options.
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then nproc="$1"; shift
elif command -v nvidia-smi >/dev/null 2>&1; then nproc="$(nvidia-smi -L | wc -l)"
else nproc=2; fi
# shellcheck disable=SC2086 # TORCHRUN_ARGS holds several options
exec torchrun --standalone --nproc_per_node="$nproc" ${TORCHRUN_ARGS:-} train.py "$@"
