#!/usr/bin/env bash
# Measures the event loop -> worker -> event loop hand-off every inference pays (JMH, ~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" io.tuneserve.bench.HandOffBenchmark
