#!/usr/bin/env bash
# The whole comparison in one command: tuneserve against its in-process limit and its peers.
#   load-tests/run.sh [--quick] [--soak-minutes N]
# The server and the limit run on core 0, this load generator on the other cores. Everything talks
# to 127.0.0.1 only, and every step stops by itself. Writes load-tests/results/results.md and
# load-tests/results/throughput.png.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
cores=$(nproc)
client_cores="1-$((cores - 1))"
[ "$cores" -gt 1 ] || client_cores=0
exec taskset -c "$client_cores" java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" \
  io.tuneserve.bench.Harness --server-cores 0 "$@"
