"""Out-of-core passes on a lazy cohort: the heavy aggregations as Ibis expressions.

DuckDB is the embedded engine (the default), PySpark the distributed one. Each pass returns
small numpy/pandas objects (cross-products, cluster scores, cell means) that the estimators of
:mod:`lbc_eval.estimation` finish into the kit's usual results.
"""
