"""Files that travel inside the package, found with :mod:`importlib.resources`.

- ``synthetic/``: the shipped example cohort (the ``small`` preset, seed 2026). In the project
  it is the folder ``data/synthetic`` (``lbc_eval/data/synthetic`` links to it), so a wheel and
  a checkout read the same bytes.
- ``reference/``: the published data the kit is checked against (``mpdta.csv`` and R ``did``'s
  results on it) and the national counts, each with its source in ``reference/README.md``.

These work the same from a checkout, an editable install and a wheel installed anywhere.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _path(*parts: str) -> Path:
    return Path(str(resources.files("lbc_eval.data").joinpath(*parts)))


def example_path() -> Path:
    """The folder of the shipped synthetic cohort (read it with ``read_cohort``)."""
    return _path("synthetic")


def reference_path(name: str) -> Path:
    """A reference file: ``mpdta.csv``, ``mpdta_published.csv`` or ``national_counts.csv``."""
    path = _path("reference", name)
    if not path.is_file():
        raise FileNotFoundError(f"no reference file {name!r} in the installed kit ({path.parent})")
    return path
