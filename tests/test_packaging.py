"""The kit works as an installed package, away from the checkout.

A wheel is built from the project and unpacked into a folder of its own (a pure-Python wheel
installs by unpacking); Python then runs from an unrelated folder with that folder first on
its path, so nothing can come from the checkout. The example cohort, the reference data and
the notebooks must all come from the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "out", "build", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a clean copy of the project (no stale build/ folder can leak in)."""
    source = tmp_path_factory.mktemp("source") / "lbc_eval"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_NOT_SOURCE)
    wheels = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(wheels)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (path,) = wheels.glob("lbc_eval-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    return site


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip


def test_wheel_holds_the_project_files_and_nothing_else(wheel):
    """The same bytes as the project's folders: the package's modules, the codebook, the
    notebooks, the example cohort (data/synthetic) and the reference data."""
    with zipfile.ZipFile(wheel) as z:
        inside = {n: z.read(n) for n in z.namelist() if n.startswith("lbc_eval/")}
    package = ROOT / "lbc_eval"
    expected = {
        **{f"lbc_eval/{k}": v for k, v in _files(package).items()
           if not k.startswith(("notebooks/", "data/synthetic/"))},
        **{f"lbc_eval/data/synthetic/{k}": v
           for k, v in _files(ROOT / "data" / "synthetic").items()},
        **{f"lbc_eval/notebooks/{p.name}": p.read_bytes()
           for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))},
    }  # fmt: skip
    missing = sorted(set(expected) - set(inside))
    assert not missing, f"not in the wheel: {missing}"
    extra = sorted(set(inside) - set(expected))
    assert not extra, f"in the wheel but not in the project: {extra}"
    changed = sorted(k for k in expected if inside[k] != expected[k])
    assert not changed, f"differ in the wheel: {changed}"


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
    # one folder per language (the default is Chinese): OUT/zh/notebooks, OUT/zh/html
    executed = out / "zh" / "notebooks" / "01_overview.ipynb"
    assert executed.exists() and (out / "zh" / "html" / "01_overview.html").exists()
    nb = json.loads(executed.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
