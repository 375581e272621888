#!/usr/bin/env bash
# The whole test suite: set up, lint, then pytest on the unit and statistical tests and, with
# nbval, on the committed notebooks (their stored outputs must be reproduced exactly).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ruff check lbc_eval tests benchmarks
pytest tests notebooks --nbval --nbval-current-env \
  --nbval-sanitize-with notebooks/nbval_sanitize.cfg "$@"
