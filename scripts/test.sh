#!/usr/bin/env bash
# The whole test suite: set up, lint, then pytest (unit and statistical tests).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ruff check lbc_eval tests benchmarks
pytest "$@"
