#!/usr/bin/env bash
# The four transfer-learning scenarios (small/large x similar/different) with every strategy and
# auto, on Fashion-MNIST (apt-get install -y dataset-fashion-mnist) and handwritten digits
# (../shared/testdata/digits/digits.csv.gz beside the checkout, or the path given as argument).
# --base DIR starts from that SavedModel (28x28x1 input; a Keras / TF2 export works) instead of the
# zoo ConvNet pretrained on classes 0-4. Writes load-tests/results/scenarios.md. About 15 minutes on two cores.
# --augmentation-only runs only the small scenarios' comparison of augmentation settings
# (load-tests/results/scenarios-augmentation.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/classpath.sh
java -Dvertx.disableDnsResolver=true -cp "$BENCH_CP" io.tuneserve.bench.TransferScenarios "$@"
