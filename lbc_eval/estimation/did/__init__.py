r"""Staggered difference-in-differences (Callaway & Sant'Anna 2021) for panel data.

:func:`fit_did` estimates every group-time average treatment effect ATT(g,t) with its influence
function, as the R package ``did`` (``att_gt``) does, and :meth:`DidResult.aggregate` combines
them the way ``aggte`` does (simple, dynamic/event time, group, calendar); every setting is
kept in a frozen :class:`DidSpec`. The estimates reproduce ``did`` on its ``mpdta`` example to
every published decimal (``tests/estimation/did/test_did.py``).
:func:`fit_twfe_event_study` is the two-way fixed-effects event study shown beside it for
contrast.

Notes
-----
For group :math:`g` (first treated period) and period :math:`t`, with base period
:math:`b` (:math:`g - 1 - \delta` when :math:`t \ge g - \delta`; with the ``varying`` base,
:math:`t - 1` before that), the unconditional estimator is

.. math:: \widehat{ATT}(g,t) = \bar{\Delta Y}_{G=g} - \bar{\Delta Y}_{C},\qquad
          \Delta Y_i = Y_{it} - Y_{ib},

with :math:`C` the never-treated units, or (``not_yet``) the units not treated by
:math:`\max(t, b) + \delta`. With covariates :math:`X` (taken in the base period) the
estimator is the outcome regression (``reg``), the standardised inverse-probability weighting
(``ipw``) or the doubly robust (``dr``) estimator of Sant'Anna & Zhao (2020).

Each estimate has an influence function :math:`\psi_i` over the :math:`n` units (zero outside the
cell's sample, scaled by :math:`n / n_{gt}`); the analytic standard error is
:math:`\sqrt{\sum_i \psi_i^2} / n`, or with clusters :math:`\sqrt{\sum_c (\sum_{i \in c}
\psi_i)^2} / n`. The multiplier bootstrap draws weights :math:`v_c` with mean 0 and variance 1
per cluster (unit by default; Rademacher unless ``boot_weights`` says otherwise) and takes
:math:`\hat\theta^* - \hat\theta = \sum_c v_c \sum_{i \in c} \psi_i / n` (the cluster *sums*,
as R ``did`` and ``csdid``, so its variance is the analytic clustered one); its standard
error is the interquartile range of the draws over 1.349, and the uniform band's critical value
the :math:`1-\alpha` quantile of :math:`\max_k |\hat\theta^*_k / \hat\sigma_k|`. The analytic
pre-test is the Wald statistic :math:`n\,\hat\theta_{pre}' \hat V_{pre}^{-1} \hat\theta_{pre}` of
the pre-treatment ATT(g,t) (clustered when ``cluster`` is set), :math:`\chi^2` with as many
degrees of freedom as cells; with the bootstrap it is the sup-t test of the same cells, or
(``pretest="average"``) the bootstrap test of their group-averaged effect, which pools the
groups (with two or three clusters per group even it over-rejects; the question Q3 front end
uses randomisation inference instead). ``small_cluster`` rescales each cell's influence
functions by the CR2 factors :math:`1/\sqrt{1 - h_c}` of its treated and comparison sides,
refers p-values and pointwise intervals to Student's t(G - 1) and floors a band's critical value
at the t(G - 1) quantile (a statistic carried by one or two clusters, such as a simple ATT
weighted towards the earliest adopters, has bootstrap quantiles below the normal ones).

References
----------
Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-Differences with multiple time periods.
*Journal of Econometrics* 225(2), 200-230. Sant'Anna, P. H. C. & Zhao, J. (2020). Doubly robust
difference-in-differences estimators. *Journal of Econometrics* 219(1), 101-122.
"""

from __future__ import annotations

from lbc_eval.estimation.did.estimator import fit_did, fit_did_spec
from lbc_eval.estimation.did.result import Aggregation, DidResult
from lbc_eval.estimation.did.spec import BasePeriod, Control, DidSpec, Method, Pretest
from lbc_eval.estimation.did.twfe import fit_twfe_event_study
from lbc_eval.estimation.inference.multiplier import multiplier_bootstrap

__all__ = [
    "Aggregation",
    "BasePeriod",
    "Control",
    "DidResult",
    "DidSpec",
    "Method",
    "Pretest",
    "fit_did",
    "fit_did_spec",
    "fit_twfe_event_study",
    "multiplier_bootstrap",
]
