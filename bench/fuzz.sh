#!/usr/bin/env bash
# The full fuzz campaign (issue 11): 4,000 seeded mutants each of a checkpoint, an ONNX model and a saved zip (12,000
# in all), through the same test the test run does with 300 each. Prints each format's counts, slowest load and
# largest allocation.
set -euo pipefail
cd "$(dirname "$0")/.."
MLNETADAM_FUZZ_CASES="${1:-4000}" dotnet test tests/MLNetAdam.Tests -c Release --filter "FullyQualifiedName~FuzzTests" \
  --logger "console;verbosity=detailed" | grep -E "mutants|Passed!|Failed!"
