#!/usr/bin/env bash
# The main job: set up, make sure the synthetic cohort is there, execute every notebook on it,
# write the evidence brief in Chinese and English, and say where it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
out="${LBC_OUT:-out}/run"
if [ ! -f data/synthetic/cohort.json ]; then
  echo "main: data/synthetic is missing; generating it"
  lbc-eval synth --preset small --seed 2026 --out data/synthetic --quiet
fi
lbc-eval run --data data/synthetic --out "$out" --lang zh
lbc-eval brief --data data/synthetic --out "$out" --lang en
echo
echo "evidence brief (Chinese): $out/brief_zh.html"
echo "evidence brief (English): $out/brief_en.html"
echo "executed notebooks: $out/notebooks/   as HTML: $out/html/"
