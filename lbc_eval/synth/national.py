r"""National cohorts: provinces simulated one at a time and streamed to disk.

A national spec is a spec with ``n_provinces`` above 1 (``SynthSpec.preset("national")``: 14
provinces of the ``province`` preset's size, 1,000,000 children in the first term each, about
107 million child-terms over 8 terms). It does not fit in memory, so :func:`write_national`
simulates one province, writes its rows term by term as they are made, keeps only its truth
and its small tables, frees it and goes on to the next: peak memory is one province's,
whatever the number of provinces.

Province :math:`k = 0, \dots, K-1` is the data-generating process of :mod:`lbc_eval.synth`
run on ``spec.update(n_provinces=1, seed=province_seed(spec.seed, k))``: the same
mechanisms, knobs and truth as a province simulated alone, with its own draws. The province
seed is the first 63 bits of the state of the :math:`k`-th child of
``numpy.random.SeedSequence(seed).spawn(K)`` (:func:`province_seed`), so provinces are
independent streams, and province :math:`k` does not depend on :math:`K`. Only the codes
differ from the province simulated alone: townships, schools (so classes) and destinations
start with the province's code ``P01``, ``P02``, … (``P03S0001``), destination names with
``省03·``; the synthetic resident IDs keep the province code 99 and carry the province's
number in the prefecture digits (``99 kk TT``, :func:`lbc_eval.synth.world._identifiers`);
every pseudonym uses the national seed's key (``truth.json``'s ``meta.synthetic_key_hex``).
Each province's parents have their own destinations (destination 0 is each province's
county seat), each adopting the enrolment policy in its own year.

On disk (a cohort folder that :func:`lbc_eval.read_cohort` reads, and that DuckDB, Arrow and
Spark read as a Hive-partitioned Parquet dataset)::

    cohort.json                          as Cohort.write, plus "parts": ["P01", "P02", …]
    panel/term=2021-1/part-P01.parquet   one file per term and province
    panel/term=2021-1/part-P02.parquet
    …
    schools.parquet                      every province's schools
    destinations.parquet                 every province's destinations
    truth.json                           the national truth and each province's
    roster.parquet                       only with ``roster=True`` (written province by province)

The national truth
------------------
Each estimand is the same sample quantity as for one province, over the union of the
provinces' units; since each is a mean over units, the national value is the provinces'
values weighted by their units (:data:`AGGREGATION` states each rule; ``truth.json`` carries it
and, under ``provinces``, each province's truth with the weights):

.. math:: \theta = \frac{\sum_k n_k \theta_k}{\sum_k n_k}

with :math:`n_k` the mentored child-terms (dose-response), the child-terms and left-behind
child-terms (training), the children of cell :math:`(g, t)` (policy ATT(g,t)) and the
left-behind child-terms of each status (left-behind gaps). Policy groups are pooled across
provinces by their first policy term :math:`g`, and the event-time and overall effects are
recomputed from the national ATT(g,t) with the national group sizes, as Callaway &
Sant'Anna's aggregations of the pooled panel weight them.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lbc_eval._version import __version__
from lbc_eval.data.codebook import CODEBOOK_VERSION, OUTCOMES
from lbc_eval.data.cohort import _PARQUET, _prepare
from lbc_eval.errors import SpecError
from lbc_eval.synth.engine import run
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.tables import destinations_table, schools_table
from lbc_eval.synth.tables import roster as roster_table
from lbc_eval.synth.truth import (
    POPULATIONS,
    STATUSES,
    _aggregate,
    meta_of,
    other_of,
    training_of,
    truth_of,
)
from lbc_eval.synth.world import Province, build_world

__all__ = [
    "AGGREGATION",
    "first_provinces",
    "national_truth",
    "province_seed",
    "write_national",
]

#: How the national truth combines the provinces' (``truth.json`` carries it as
#: ``aggregation``). Every weight is in ``provinces[k]`` of the truth.
AGGREGATION: dict[str, str] = {
    "dose_response": "curve and ame: the provinces' values weighted by their mentored "
    "child-terms n (sum n_k x_k / sum n_k); n summed",
    "training": "overall: training_effect + training_effect_lb x (left-behind child-terms / "
    "child-terms, both summed over provinces); left_behind and not_left_behind are constants",
    "policy": "groups pooled across provinces by their first policy term g: group sizes and "
    "never_treated summed; ATT(g,t) = the provinces' ATT(g,t) weighted by the cell's "
    "children n; event_time and overall recomputed from the national ATT(g,t) weighted by "
    "the national group sizes, as for one province",
    "lb_gap": "each status: the provinces' gaps weighted by their left-behind child-terms of "
    "that status (lb_child_terms); any: the three statuses of every province weighted "
    "together",
    "other": "constants of the spec",
}

_PROVINCE_KEYS = ("dose_response", "training", "policy", "lb_gap")


def province_seed(seed: int, k: int) -> int:
    """The seed of province ``k`` (0-based) of a national cohort of ``seed``.

    The first 63 bits of the state of ``numpy.random.SeedSequence(seed).spawn(K)[k]``
    (for any number of provinces ``K > k``): independent streams, and a province's seed does
    not depend on how many provinces there are.

    Examples
    --------
    >>> province_seed(2026, 0) == province_seed(2026, 0) != province_seed(2026, 1)
    True
    """
    state = np.random.SeedSequence(int(seed), spawn_key=(int(k),)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def write_national(
    spec: SynthSpec, path: str | Path, *, roster: bool = False, progress: bool = False
) -> Path:
    """Simulate a national cohort province by province, writing each to disk as it is made.

    Parameters
    ----------
    spec : SynthSpec
        The national spec (``SynthSpec.preset("national", seed=...)``, or any spec: its
        ``n_provinces`` provinces are simulated; sizes are per province).
    path : str or Path
        The cohort folder (created; a cohort already there is replaced).
    roster : bool
        Also write ``roster.parquet``, the placeholder identifiers the messy export needs
        (about 34 MB per province of 1,000,000 children). Off by default: a national cohort
        is for the estimators; export school files from a ``province`` cohort.
    progress : bool
        Show a progress bar over provinces and terms.

    Returns
    -------
    Path
        The folder, which :func:`lbc_eval.read_cohort` reads (with ``engine="duckdb"`` at
        national size).

    Notes
    -----
    The seeds, codes, layout and truth are in this module's docstring. Peak memory is one
    province's (its world, its counterfactual's policy pieces and one term's rows); the same
    spec gives the same bytes.

    Examples
    --------
    >>> import tempfile
    >>> spec = SynthSpec.preset("small", n_children=200, n_provinces=2, seed=1)
    >>> folder = write_national(spec, tempfile.mkdtemp())
    >>> sorted(p.name for p in (folder / "panel" / "term=2021-1").iterdir())
    ['part-P01.parquet', 'part-P02.parquet']
    """
    path = Path(path)
    _prepare(path)
    codes = [Province(k, spec.seed).code for k in range(spec.n_provinces)]
    # a placeholder first: an interrupted run leaves a folder that a new run may replace,
    # and that read_cohort refuses (its partitions are listed nowhere)
    _write_json(path / "cohort.json", _meta(spec, codes, {}, complete=False))
    rows = {term: 0 for term in spec.terms}
    parts: list[dict[str, Any]] = []
    schools: list[pd.DataFrame] = []
    destinations: list[pd.DataFrame] = []
    writer: pq.ParquetWriter | None = None
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2 * spec.n_terms * spec.n_provinces, desc="provinces", unit="term")
    tick: Callable[[], None] = (lambda: bar.update(1)) if bar is not None else (lambda: None)
    try:
        for k, code in enumerate(codes):
            place = Province(k, spec.seed)
            pspec = spec.update(n_provinces=1, seed=province_seed(spec.seed, k))
            world = build_world(pspec, province=place)

            def sink(t: int, frame: pd.DataFrame, code: str = code) -> None:
                term = spec.terms[t]
                folder = path / "panel" / f"term={term}"
                folder.mkdir(parents=True, exist_ok=True)
                table = pa.Table.from_pandas(frame, preserve_index=False).drop_columns("term")
                pq.write_table(table, folder / f"part-{code}.parquet", **_PARQUET)
                rows[term] += len(frame)

            r = run(pspec, world, sink, tick)
            schools.append(schools_table(pspec, world, np.column_stack(r.acc.enrolment)))
            destinations.append(destinations_table(pspec, world))
            truth = truth_of(pspec, world, r.acc, r.pop, r.fact, r.cf)
            parts.append(
                {
                    "province": code,
                    "seed": pspec.seed,
                    "children": int(world.n),
                    "child_terms": int(r.acc.rows),
                    "lb_child_terms": {name: int(r.acc.gap_n[s]) for s, name in STATUSES},
                    **{key: truth[key] for key in _PROVINCE_KEYS},
                }
            )
            if roster:
                ids = pa.Table.from_pandas(roster_table(world), preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(path / "roster.parquet", ids.schema, **_PARQUET)
                writer.write_table(ids)
            del world, r, truth, sink
            gc.collect()
    finally:
        if writer is not None:
            writer.close()
        if bar is not None:
            bar.close()
    school_table = pd.concat(schools, ignore_index=True)
    dest_table = pd.concat(destinations, ignore_index=True)
    pq.write_table(pa.Table.from_pandas(school_table, preserve_index=False),
                   path / "schools.parquet", **_PARQUET)  # fmt: skip
    pq.write_table(pa.Table.from_pandas(dest_table, preserve_index=False),
                   path / "destinations.parquet", **_PARQUET)  # fmt: skip
    truth = national_truth(spec, parts)
    (path / "truth.json").write_text(
        json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tables = {
        "panel": sum(rows.values()),
        "schools": len(school_table),
        "destinations": len(dest_table),
    }
    _write_json(path / "cohort.json", _meta(spec, codes, tables, complete=True))
    return path


def first_provinces(path: str | Path, out: str | Path, n_provinces: int) -> Path:
    """The national cohort of the first ``n_provinces`` provinces of the one at ``path``.

    A province does not depend on how many there are (:func:`province_seed`), so this is
    what ``write_national(spec.update(n_provinces=n_provinces), out)`` writes, byte for byte,
    without simulating: the panel's files are hard links to ``path``'s (copies across file
    systems); schools, destinations and the truth are those of the first provinces. No roster.
    For benchmarks at several sizes, and to try an analysis on part of the nation first.

    Parameters
    ----------
    path : str or Path
        A folder :func:`write_national` wrote.
    out : str or Path
        The new cohort folder (created; a cohort already there is replaced).
    n_provinces : int
        How many of the first provinces to keep (1 to the cohort's number).

    Returns
    -------
    Path
        ``out``.
    """
    import os
    import shutil

    path, out = Path(path), Path(out)
    if out.resolve() == path.resolve():
        raise SpecError("out", f"{out} is the national cohort itself; give a new folder")
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    whole = SynthSpec.from_dict(truth["meta"]["spec"])
    if not 1 <= n_provinces <= whole.n_provinces or "provinces" not in truth:
        raise SpecError(
            "n_provinces",
            f"{n_provinces} is not between 1 and the {whole.n_provinces} provinces of the "
            f"national cohort at {path}",
        )
    spec = whole.update(n_provinces=n_provinces)
    parts = truth["provinces"][:n_provinces]
    codes = [p["province"] for p in parts]
    _prepare(out)
    rows = 0
    for term in spec.terms:
        (out / "panel" / f"term={term}").mkdir(parents=True)
        for code in codes:
            rel = Path("panel") / f"term={term}" / f"part-{code}.parquet"
            try:
                os.link(path / rel, out / rel)
            except OSError:
                shutil.copyfile(path / rel, out / rel)
            rows += pq.read_metadata(out / rel).num_rows
    tables = {"panel": rows}
    for name, key in (("schools", "school_id"), ("destinations", "destination_id")):
        frame = pq.read_table(path / f"{name}.parquet").to_pandas()
        keep = frame[frame[key].str[: len(codes[0])].isin(codes)].reset_index(drop=True)
        pq.write_table(pa.Table.from_pandas(keep, preserve_index=False),
                       out / f"{name}.parquet", **_PARQUET)  # fmt: skip
        tables[name] = len(keep)
    (out / "truth.json").write_text(
        json.dumps(national_truth(spec, parts), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    _write_json(out / "cohort.json", _meta(spec, codes, tables, complete=True))
    return out


def _meta(spec: SynthSpec, codes: list[str], tables: dict[str, int], *, complete: bool) -> dict:
    """``cohort.json``: what :meth:`Cohort.write` records, and the panel's part files."""
    meta: dict[str, Any] = {
        "format": "lbc_eval cohort",
        "storage": "parquet",
        "kit_version": __version__,
        "codebook_version": CODEBOOK_VERSION,
        "tables": tables,
        "terms": spec.terms if complete else [],
        "synthetic": True,
        "parts": codes,
    }
    if not complete:
        meta["incomplete"] = "being written by lbc_eval.synth.write_national"
    return meta


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


# --- the national truth -----------------------------------------------------------------------


def national_truth(spec: SynthSpec, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The national truth from the provinces' (rules in :data:`AGGREGATION`).

    Parameters
    ----------
    spec : SynthSpec
        The national spec.
    parts : list of dict
        One per province: ``province, seed, children, child_terms, lb_child_terms`` (by
        status) and its ``dose_response, training, policy, lb_gap`` truths, as
        :func:`write_national` keeps them.

    Returns
    -------
    dict
        ``meta, populations, aggregation, dose_response, training, policy, lb_gap, other`` and
        ``provinces`` (the parts).
    """
    if not parts:
        raise SpecError("n_provinces", "a national truth needs at least one province")
    dose = {}
    for o in OUTCOMES:
        ds = [p["dose_response"][o] for p in parts]
        n = sum(d["n"] for d in ds)
        curve = sum(np.asarray(d["curve"]) * d["n"] for d in ds) / max(n, 1)
        dose[o] = {
            **ds[0],
            "curve": np.asarray(curve).tolist(),
            "ame": sum(d["ame"] * d["n"] for d in ds) / max(n, 1),
            "n": n,
        }
    rows = sum(p["child_terms"] for p in parts)
    lb_rows = sum(sum(p["lb_child_terms"].values()) for p in parts)
    gaps: dict[str, dict[str, Any]] = {}
    for o in OUTCOMES:
        g: dict[str, Any] = {}
        total, weight = 0.0, 0
        for _, name in STATUSES:
            pairs = [
                (p["lb_gap"][o][name], p["lb_child_terms"][name])
                for p in parts
                if p["lb_gap"][o][name] is not None
            ]
            n = sum(w for _, w in pairs)
            s = sum(v * w for v, w in pairs)
            g[name] = s / n if n else None
            total, weight = total + s, weight + n
        g["any"] = total / max(weight, 1)
        g["unit"] = parts[0]["lb_gap"][o]["unit"]
        gaps[o] = g
    return {
        "meta": meta_of(spec),
        "populations": POPULATIONS,
        "aggregation": AGGREGATION,
        "dose_response": dose,
        "training": training_of(spec, lb_rows / max(rows, 1)),
        "policy": _national_policy(spec, [p["policy"] for p in parts]),
        "lb_gap": gaps,
        "other": other_of(spec),
        "provinces": parts,
    }


def _national_policy(spec: SynthSpec, policies: list[dict[str, Any]]) -> dict[str, Any]:
    """ATT(g,t) pooled over provinces by group label, weighted by the cells' children."""
    terms = spec.terms
    index = {label: i for i, label in enumerate(terms)}
    sizes: dict[str, int] = {}
    for pol in policies:
        for label, k in pol["groups"].items():
            sizes[label] = sizes.get(label, 0) + k
    groups = sorted(sizes, key=index.__getitem__)
    out: dict[str, Any] = {
        "population": policies[0]["population"],
        "groups": {label: sizes[label] for label in groups},
        "never_treated": sum(pol["never_treated"] for pol in policies),
    }
    for o in ("moved", *OUTCOMES):
        sums: dict[tuple[str, str], list[float]] = {}
        for pol in policies:
            for c in pol[o]["att_gt"]:
                cell = sums.setdefault((c["group"], c["time"]), [0.0, 0])
                cell[0] += c["att"] * c["n"] if c["att"] is not None else 0.0
                cell[1] += c["n"]
        cells = []
        for t, time in enumerate(terms):
            for label in groups:
                s, n = sums.get((label, time), (0.0, 0))
                cells.append(
                    {
                        "group": label,
                        "time": time,
                        "event_time": t - index[label],
                        "att": s / n if n else None,
                        "n": int(n),
                    }
                )
        size = {index[label]: k for label, k in sizes.items()}
        out[o] = {"att_gt": cells, **_aggregate(cells, size, terms)}
    return out
