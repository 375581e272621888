#!/usr/bin/env bash
# Rebuild the committed notebooks from their reviewable sources (notebooks/src/*.py, jupytext
# percent format) and execute them on the shipped synthetic cohort, so the stored outputs that
# nbval compares are current. Run after editing a source or changing the generator.
#   bash scripts/build_notebooks.sh            # all notebooks
#   bash scripts/build_notebooks.sh 04         # those whose name starts with 04
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd notebooks
# the kernel talks over Unix sockets in a private folder, never plain TCP (no transport warning)
sockets="$(mktemp -d)"
trap 'rm -rf "$sockets"' EXIT
for src in src/${1:-}*.py; do
  name="$(basename "${src%.py}")"
  echo "building $name.ipynb"
  jupytext --quiet --to ipynb --output "$name.ipynb" "$src"
  jupyter nbconvert --to notebook --execute --inplace --log-level=WARN \
    --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 \
    --KernelManager.transport=ipc --KernelManager.ip="$sockets/kernel" "$name.ipynb"
done
