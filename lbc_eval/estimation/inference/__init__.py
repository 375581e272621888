"""Standard errors, p-values and intervals.

``rule``
    CRV1 from 50 clusters, the wild bootstrap below
    (:data:`~lbc_eval.estimation.inference.rule.FEW_CLUSTERS`);
``wild``
    the restricted wild cluster bootstrap with fixed effects (Rademacher, Webb);
``multiplier``
    the multiplier bootstrap of influence functions (staggered DiD) and uniform bands;
``multiple``
    Holm and Romano-Wolf adjustments across outcomes.
"""
