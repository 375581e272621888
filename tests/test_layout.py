"""The package's layout holds: imports run one way between stages, no module cycles.

The contracts live in pyproject.toml (``[tool.importlinter]``); ``lint-imports`` from the
project folder checks them the same way by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-1000:]
    assert "2 kept, 0 broken" in res.stdout


def test_tests_mirror_the_package():
    """Every stage folder of the package has a test folder of the same name."""
    stages = {p.name for p in (ROOT / "lbc_eval").iterdir()
              if p.is_dir() and (p / "__init__.py").exists()}  # fmt: skip
    tested = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert stages <= tested, f"no tests/ folder for {sorted(stages - tested)}"
