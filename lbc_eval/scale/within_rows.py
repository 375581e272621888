r"""Row-level companions of the within moments (:mod:`lbc_eval.scale.within`), in the engine.

Two more queries over the rows a lazy fit used, each returning a small table:
:func:`mover_cross`, the cross-products the wild cluster bootstrap needs when the absorbed
fixed effect cuts across the clusters (children who change school), and :func:`value_counts`,
the distribution of a column over the rows used (the dose-response's bins and truth).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from lbc_eval.scale.within import Moments, _joined


def mover_cross(
    m: Moments, cluster: str, *, drop_singletons: bool = True
) -> tuple[pd.DataFrame, np.ndarray]:
    r"""For the wild bootstrap when the absorbed effect cuts across ``cluster``: for every pair
    of clusters :math:`(g, h)` that share a level :math:`a` of the absorbed effect,

    .. math:: Q_{gh} = \sum_a \frac{1}{n_a}
              \begin{pmatrix} \sum_{i \in a \cap g} \tilde z_i \\ \sum_{i \in a \cap g}
              \tilde y_i \end{pmatrix} \Big(\sum_{j \in a \cap h} \tilde z_j\Big)',

    over the rows used, unweighted: a :math:`(K + 1) \times K` matrix per pair (``names``'
    order). A level inside one cluster adds nothing (its demeaned values sum to zero there),
    so only levels found in two clusters or more are paired, in the engine (a self-join of
    their sums by level and cluster). Returns the pairs (columns ``g``, ``h``) and the
    matrices.
    """
    import ibis

    spec = m.spec
    j_, _, lay = _joined(spec, drop_singletons)
    z = lay["z"]
    c = lay["cl"][list(spec.clusters).index(cluster)]
    used = j_.filter(j_["__u"])
    sums = {f"s{a}": used[f"__t{col}"].sum() for a, col in enumerate(["__y", *z])}
    pc = used.group_by(["__a", c]).aggregate(__n=used["__n"].max(), **sums)
    pc = pc.mutate(__k=pc["__a"].count().over(ibis.window(group_by=pc["__a"])))
    pc = pc.filter(pc["__k"] > 1)
    left = pc.select(__a=pc["__a"], g=pc[c], __n=pc["__n"],
                     **{f"v{a}": pc[f"s{a}"] for a in range(len(z) + 1)})  # fmt: skip
    right = pc.select(__b=pc["__a"], h=pc[c], **{f"w{b}": pc[f"s{b + 1}"] for b in range(len(z))})
    pair = left.join(right, left["__a"] == right["__b"])
    inv = 1.0 / pair["__n"].cast("float64")
    aggs = {
        f"q_{a}_{b}": (inv * pair[f"v{a}"] * pair[f"w{b}"]).sum()
        for a in range(len(z) + 1)
        for b in range(len(z))
    }
    frame = pair.group_by(["g", "h"]).aggregate(**aggs).to_pyarrow().to_pandas()
    K = len(z)
    Q = np.zeros((len(frame), K + 1, K))
    for a in range(K + 1):
        for b in range(K):
            Q[:, a, b] = frame[f"q_{a}_{b}"].to_numpy(dtype=float)
    # row 0 of v is the outcome (the first sum): put it last, after the regressors
    Q = np.concatenate([Q[:, 1:, :], Q[:, :1, :]], axis=1)
    return frame[["g", "h"]], Q


def value_counts(m: Moments, column: str) -> pd.DataFrame:
    """``value, n``: the values of ``column`` (of the table the moments were summed from) over
    the rows the fit used, counted in the engine."""
    spec = replace(m.spec, extra={"value": m.spec.table[column]})
    j_, *_ = _joined(spec, m.drop_singletons)
    used = j_.filter(j_["__u"])
    out = used.group_by(value=used["__e0"]).aggregate(n=used.count())
    return out.to_pyarrow().to_pandas().sort_values("value", ignore_index=True)
