#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the kit with the pinned versions in requirements.lock.
# Sourced by scripts/main.sh and scripts/test.sh; safe to run again (it reinstalls only when
# pyproject.toml or requirements.lock changed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
"$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "lbc_eval needs Python 3.11 or newer; found $("$py" --version 2>&1). Set PYTHON=/path/to/python3.11" >&2
  exit 1
}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$py" -m venv .venv
fi
stamp=.venv/.lbc_eval-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  echo "setup: installing pinned dependencies (requirements.lock)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,spark]"
  touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
