"""Coverage and compliance audits agree with counts computed here another way."""

from __future__ import annotations

import math
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lbc_eval.errors import SpecError, UnknownColumnError  # noqa: E402
from lbc_eval.publish import audit  # noqa: E402
from lbc_eval.report import plots  # noqa: E402

LB = {"father", "mother", "both"}


@pytest.fixture(scope="module")
def panel(small):
    return small.panel


def _records(panel, *cols):
    return list(panel[list(cols)].astype(object).itertuples(index=False, name=None))


def test_coverage_by_term_counts_by_hand(panel):
    lb = defaultdict(int)
    paired = defaultdict(int)
    roles = defaultdict(int)
    for term, status, role in _records(panel, "term", "lb_status", "mentor_role"):
        if status in LB:
            lb[term] += 1
            if role != "none":
                paired[term] += 1
                roles[term, role] += 1
    out = audit.coverage(panel, by="term")
    assert out["term"].tolist() == sorted(lb)
    for row in out.itertuples():
        assert row.n_left_behind == lb[row.term]
        assert row.n_paired == paired[row.term]
        assert row.share_paired == pytest.approx(paired[row.term] / lb[row.term])
        assert row.n_volunteer == roles[row.term, "volunteer"]


def test_coverage_by_school_and_term_with_suppression(panel):
    raw = audit.coverage(panel, by=["school_id", "term"])
    assert len(raw) == panel.groupby(["school_id", "term"]).ngroups
    assert raw["n_left_behind"].sum() == panel["lb_status"].isin(LB).sum()
    safe = audit.coverage(panel, by=["school_id", "term"], k=10)
    assert safe.shape[0] == raw.shape[0] and safe["suppressed"].any()
    record = safe.attrs["suppression"]
    assert {"row", "column", "reason"} <= set(record.columns)
    # every published count is at least 10, and no count of fewer than 10 survives
    for col in ["n_left_behind", "n_paired", "n_cadre", "n_teacher", "n_volunteer"]:
        shown = safe[col].dropna()
        assert ((shown == 0) | (shown >= 10)).all(), col
    # the roles add up to n_paired: never exactly one of them hidden
    cols = ["n_paired", "n_cadre", "n_teacher", "n_volunteer"]
    assert (safe[cols].isna().sum(axis=1) != 1).all()


def test_contacts_against_expectations(panel):
    expectations = {"talks": 2, "home_visits": 1}
    out = audit.contacts(panel, expectations=expectations, by="term")
    assert out["contact"].unique().tolist() == list(audit.CONTACT_TYPES)
    p = panel
    is_pair = p["lb_status"].isin(LB).to_numpy() & (p["mentor_role"] != "none").to_numpy()
    terms = sorted(p["term"].unique())
    term_code = np.searchsorted(terms, p["term"].to_numpy())
    for contact in audit.CONTACT_TYPES:
        v = p[contact].to_numpy(dtype=float)
        n = np.bincount(term_code[is_pair], minlength=len(terms))
        total = np.bincount(term_code[is_pair], weights=v[is_pair], minlength=len(terms))
        rows = out[out["contact"] == contact].set_index("term")
        assert rows["n_paired"].tolist() == n.tolist()
        assert rows["mean"].to_numpy() == pytest.approx(total / n)
        if contact in expectations:
            meet = np.bincount(
                term_code[is_pair], weights=v[is_pair] >= expectations[contact],
                minlength=len(terms),
            )  # fmt: skip
            assert rows["share_meeting"].to_numpy(dtype=float) == pytest.approx(meet / n)
            assert (rows["expected"] == expectations[contact]).all()
        else:
            assert rows["share_meeting"].isna().all()


def test_access_left_behind_vs_others(panel):
    out = audit.access(panel, by="term")
    counts = defaultdict(lambda: [0, 0, 0.0])
    for term, status, sessions, hours in _records(
        panel, "term", "lb_status", "counseling", "tutoring_hours"
    ):
        group = "left_behind" if status in LB else "other"
        for service, value in (("counseling", sessions), ("tutoring", hours)):
            c = counts[term, service, group]
            c[0] += 1
            c[1] += value > 0
            c[2] += value
    assert len(out) == len(counts)
    for row in out.itertuples():
        n, receiving, amount = counts[row.term, row.service, row.group]
        assert (row.n_children, row.n_receiving) == (n, receiving)
        assert row.share_receiving == pytest.approx(receiving / n)
        assert row.mean_per_child == pytest.approx(amount / n)
    # the synthetic county targets tutoring at left-behind and low-income children
    tut = out[out["service"] == "tutoring"].groupby("group")["share_receiving"].mean()
    assert tut["left_behind"] > tut["other"]


@pytest.mark.parametrize("basis", ["amount", "recipients"])
def test_scholarships_and_the_30_percent_rule(panel, basis):
    acc = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for school, term, status, yuan in _records(
        panel, "school_id", "term", "lb_status", "scholarship_yuan"
    ):
        year = int(term[:4])
        a = acc[school, year]
        if yuan > 0:
            a[0] += 1
            a[2] += yuan
            if status in LB:
                a[1] += 1
                a[3] += yuan
    out = audit.scholarships(panel, basis=basis)
    assert len(out) == len(acc)
    expected_short = set()
    for row in out.itertuples():
        m, m_lb, y, y_lb = acc[row.school_id, row.year]
        assert (row.n_recipients, row.n_lb_recipients) == (m, m_lb)
        assert (row.amount_yuan, row.amount_lb_yuan) == (y, y_lb)
        share = y_lb / y if basis == "amount" else m_lb / m
        assert row.share_lb == pytest.approx(share)
        assert bool(row.meets_rule) == (share >= 0.3)
        gap = 0.3 * y - y_lb if basis == "amount" else math.ceil(0.3 * m) - m_lb
        assert row.shortfall == pytest.approx(max(0.0, gap))
        if share < 0.3:
            expected_short.add((row.school_id, row.year))
    short = audit.scholarship_shortfalls(panel, basis=basis)
    assert set(zip(short["school_id"], short["year"], strict=True)) == expected_short
    assert expected_short, "the synthetic county has schools short of the rule by design"
    assert short["shortfall"].is_monotonic_decreasing


def test_scholarships_by_township_published(panel):
    out = audit.scholarships(panel, by=["township", "year"], k=10)
    assert out["meets_rule"].notna().all()  # the verdict stays
    shown = out["n_lb_recipients"].dropna()
    assert ((shown == 0) | (shown >= 10)).all()


def test_errors(panel):
    with pytest.raises(UnknownColumnError, match="county"):
        audit.coverage(panel, by="county")
    with pytest.raises(SpecError, match="hugs"):
        audit.contacts(panel, expectations={"hugs": 3})
    with pytest.raises(SpecError):
        audit.scholarships(panel, rule=30)
    with pytest.raises(SpecError):
        audit.coverage(panel, by=[])


def test_plots_draw_what_they_say(panel):
    fig, axes = plt.subplots(2, 2)
    ax = plots.plot_coverage(audit.coverage(panel, by=["term", "township"]), target=0.9,
                             ax=axes[0, 0])  # fmt: skip
    assert ax is axes[0, 0]
    assert len(ax.lines) == panel["township"].nunique() + 1  # one per township + the target
    ax = plots.plot_contacts(audit.contacts(panel, expectations={"talks": 2}), ax=axes[0, 1])
    assert len(ax.lines) == len(audit.CONTACT_TYPES) + 1
    ax = plots.plot_access(audit.access(panel), ax=axes[1, 0])
    assert len(ax.lines) == 4
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"tutoring: left-behind"}
    ax = plots.plot_scholarships(audit.scholarships(panel), ax=axes[1, 1])
    assert ax.get_lines()[0].get_ydata()[0] == pytest.approx(0.3)  # the rule
    assert [t.get_text() for t in ax.get_xticklabels()] == sorted(panel["school_id"].unique())
    plt.close(fig)
    # a suppressed frame still plots (missing values are skipped)
    ax = plots.plot_coverage(audit.coverage(panel, by=["term", "school_id"], k=10))
    assert ax.get_ylabel() == "已结对的留守儿童比例 share of left-behind children paired"
    plt.close("all")


@pytest.mark.parametrize(
    "fn",
    [audit.coverage, audit.contacts, audit.access, audit.scholarships,
     audit.scholarship_shortfalls],
)  # fmt: skip
def test_audits_take_data_first_then_keywords_and_a_cohort_too(fn, small):
    import inspect

    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "data"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    with pytest.raises(TypeError):
        fn(small.panel, "term")  # `by` is keyword-only
    assert fn(small).equals(fn(data=small.panel))
