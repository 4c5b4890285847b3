#!/usr/bin/env bash
# Sourced by the load-test scripts: builds what they need and sets BENCH_CP, the class path of the
# benchmarks against target/tuneserve.jar. Run from the repository root.
[ -f target/tuneserve.jar ] || mvn -q -B package -DskipTests
mvn -q -B -f load-tests/pom.xml compile dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=system >/dev/null
mvn -q -B -f load-tests/pom.xml dependency:build-classpath \
  -Dmdep.outputFile=target/classpath-runtime.txt >/dev/null
BENCH_CP="load-tests/target/classes:$(cat load-tests/target/classpath.txt):$(cat load-tests/target/classpath-runtime.txt)"
export BENCH_CP
# The server under test runs on core 0; load generators run on the others (all of them on a
# single-core machine).
cores=$(nproc)
CLIENT_CORES="1-$((cores - 1))"
[ "$cores" -gt 1 ] || CLIENT_CORES=0
export CLIENT_CORES
