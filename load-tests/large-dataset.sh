#!/usr/bin/env bash
# A fine-tuning job on all 60,000 Fashion-MNIST training images from a stored dataset, in a server
# with its heap capped, against the same training in-process. Both on core 0.
#   load-tests/large-dataset.sh [epochs] [server heap, e.g. 1g] [images]
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
exec taskset -c "$CLIENT_CORES" java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" \
  io.tuneserve.bench.LargeDataset 0 "${1:-3}" "${2:-1g}" "${3:-60000}"
