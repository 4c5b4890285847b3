#!/usr/bin/env bash
# Measures the event loop -> worker -> event loop hand-off every inference pays (JMH, ~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/tuneserve.jar ] || mvn -q -B package -DskipTests
mvn -q -B -f load-tests/pom.xml compile dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=system >/dev/null
mvn -q -B -f load-tests/pom.xml dependency:build-classpath \
  -Dmdep.outputFile=target/classpath-runtime.txt >/dev/null
java -Dvertx.disableDnsResolver=true \
  -cp "load-tests/target/classes:$(cat load-tests/target/classpath.txt):$(cat load-tests/target/classpath-runtime.txt)" \
  io.tuneserve.bench.HandOffBenchmark
