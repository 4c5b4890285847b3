#!/usr/bin/env bash
# The whole comparison in one command: tuneserve against its in-process limit and its peers.
#   load-tests/run.sh [--quick] [--soak-minutes N]
# The server and the limit run on core 0, this load generator on the other cores. Everything talks
# to 127.0.0.1 only, and every step stops by itself. Writes load-tests/results/results.md and
# load-tests/results/throughput.png.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
mkdir -p load-tests/results
exec taskset -c "$CLIENT_CORES" java -Dvertx.disableDnsResolver=true \
  -Xlog:gc:file=load-tests/results/load-generator-gc.log -cp "$BENCH_CP" \
  io.tuneserve.bench.Harness --server-cores 0 "$@"
