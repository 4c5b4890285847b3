#!/usr/bin/env bash
# Time from moving a model's stable label on one node of a three-node cluster (three JVMs on this
# machine, joined over loopback) to every node answering unlabelled requests with that version;
# p50/p99 over repeated moves.
#   load-tests/label-propagation.sh [moves, default 50]
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
exec java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" io.tuneserve.bench.LabelPropagation "${1:-50}"
