"""The kit works as an installed package, away from the checkout.

A wheel is built from the project and unpacked into a folder of its own (a pure-Python wheel
installs by unpacking); Python then runs from an unrelated folder with that folder first on
its path, so nothing can come from the checkout. The example cohort, the reference data and
the notebooks must all come from the installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    wheels = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(wheels)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("lbc_eval-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    return site


def _run(site: Path, cwd: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def test_installed_package_reads_its_own_data(installed, tmp_path):
    code = (
        "import json, lbc_eval\n"
        "from lbc_eval.data.resources import reference_path\n"
        "from lbc_eval.questions import methods, overview\n"
        "c = lbc_eval.example_cohort()\n"
        "n = int(c.panel.student_id.nunique())\n"
        "print(json.dumps({'file': lbc_eval.__file__, 'children': n,"
        " 'ref': str(reference_path('mpdta.csv')), 'national': len(overview.national_counts()),"
        " 'mpdta_rows': len(methods.mpdta_replication())}))\n"
    )
    res = _run(installed, tmp_path, "-c", code)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert Path(got["file"]).is_relative_to(installed)
    assert Path(got["ref"]).is_relative_to(installed)
    assert got["children"] > 1000 and got["national"] > 0 and got["mpdta_rows"] > 0


def test_installed_cli_runs_a_notebook_without_data(installed, tmp_path):
    out = tmp_path / "run"
    res = _run(installed, tmp_path, "-m", "lbc_eval", "run", "--out", str(out), "--notebooks",
               "01", "--no-brief", timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    executed = out / "notebooks" / "01_overview.ipynb"
    assert executed.exists() and (out / "html" / "01_overview.html").exists()
    nb = json.loads(executed.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
