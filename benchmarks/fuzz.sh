#!/usr/bin/env bash
# The larger fuzz run: the suite's Schemathesis tests with many more examples per operation.
#   bash benchmarks/fuzz.sh [EXAMPLES]     (default 500; the suite uses 60)
set -euo pipefail
cd "$(dirname "$0")/.."
SENDCLOUD_MOCK_FUZZ_EXAMPLES="${1:-500}" python -m pytest -q -s -p no:cacheprovider tests/test_fuzz.py
