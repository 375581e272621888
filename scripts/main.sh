#!/usr/bin/env bash
# The main job: set up, generate the county-sized synthetic cohort and print its summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
out="${LBC_OUT:-out}"
lbc-eval synth --preset county --seed 0 --out "$out/county"
