#!/usr/bin/env bash
# The main job: set up, make sure the synthetic cohort is there, execute every notebook on it,
# write the evidence brief in Chinese and English, and say where it is. Each language has its
# own folder ($out/zh, $out/en), so neither run overwrites the other's notebooks or brief.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
out="${LBC_OUT:-out}/run"
if [ ! -f data/synthetic/cohort.json ]; then
  echo "main: data/synthetic is missing; generating it"
  lbc-eval synth --preset small --seed 2026 --out data/synthetic --quiet
fi
echo "main: every notebook in Chinese -> $out/zh"
lbc-eval run --data data/synthetic --out "$out" --lang zh
echo
echo "main: the work plan and brief in English -> $out/en"
lbc-eval run --data data/synthetic --out "$out" --lang en --notebooks 05
echo
for f in "$out"/zh/brief_zh.* "$out"/en/brief_en.*; do
  case "$f" in *zh/brief_zh.*) lang=Chinese ;; *) lang=English ;; esac
  if [ -f "$f" ]; then echo "evidence brief ($lang): $f"; fi
done
echo "executed notebooks: $out/zh/notebooks/   as HTML: $out/zh/html/"
echo "English work plan:  $out/en/notebooks/05_work_plan.ipynb   as HTML: $out/en/html/"
