#!/usr/bin/env bash
# Time from publishing a fine-tuned version on one node of a three-node cluster (three JVMs on this
# machine, joined over loopback) to serving it on all three; p50/p99 over repeated publishes.
#   load-tests/propagation.sh [publishes per kind, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
exec java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" io.tuneserve.bench.Propagation "${1:-20}"
