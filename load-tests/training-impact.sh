#!/usr/bin/env bash
# What a running fine-tuning job costs inference on the same node, and the job's training speed
# against the same training in-process. Server and in-process run on core 0, load on core 1.
#   load-tests/training-impact.sh [seconds per window]
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
exec taskset -c "$CLIENT_CORES" java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" \
  io.tuneserve.bench.TrainingImpact 0 "${1:-20}"
