"""Estimators that know nothing of the questions: they take a table and column names.

``results``
    :class:`~lbc_eval.estimation.results.Result`, the one result type, and ``compare``;
``within``
    demeaning by fixed effects, OLS, the design checks;
``fe``
    :func:`~lbc_eval.estimation.fe.fit_fe`, panel regression with absorbed fixed effects;
``inference``
    CRV1, the wild cluster bootstrap, the multiplier bootstrap, multiple testing, and the rule
    that picks between them when clusters are few;
``did``
    the staggered difference-in-differences of Callaway and Sant'Anna.
"""
