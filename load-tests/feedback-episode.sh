#!/usr/bin/env bash
# A deployed classifier meets a class it has never seen (Fashion-MNIST bags) and learns it from its
# users' corrections on a three-node cluster (three JVMs on this machine, joined over loopback)
# while inference load runs: time from the N-th correction to the improved version answering as
# stable on all nodes, accuracy before and after, p99 during the episode against idle, and a
# shuffled-labels candidate the gate must refuse. Writes load-tests/results/feedback-episode.md.
#   load-tests/feedback-episode.sh [corrections, default 50] [training images per class, default 200] [load users, default 6]
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
exec java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" io.tuneserve.bench.FeedbackEpisode "${1:-50}" "${2:-200}" "${3:-6}"
