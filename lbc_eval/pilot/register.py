r"""Register a pilot before it runs: a pre-analysis plan and the machine-readable spec it hashes.

:func:`plan` fixes, before any pilot-year data exist, everything the analysis will do: the
intervention and the population, the primary and secondary outcomes (codebook columns), the
estimator and its standard errors, the randomisation (seed, strata, threshold, the school
table it was drawn from), the MDE with every assumption, the multiple-testing family and
method, the stopping and attrition rules. It returns a :class:`PilotSpec`: the plan as plain
JSON values whose SHA-256 over canonical JSON is :attr:`PilotSpec.hash`;
:meth:`PilotSpec.write` writes ``spec.json`` (with the hash inside) and the plan for people,
in Chinese and English, as Markdown, HTML and Word (:mod:`lbc_eval.pilot.document`).
:func:`lbc_eval.pilot.analyse` runs exactly this plan and reports any deviation from it.

Canonical JSON
--------------
``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
allow_nan=False)`` encoded as UTF-8: keys sorted, no spaces, floats as Python's shortest
round-trip repr. Reading ``spec.json`` back gives the same content and so the same hash; any
edit of the file changes it, and :func:`~lbc_eval.pilot.analyse` compares the hash stored in
the file (and, if given, the hash published at registration) with the recomputed one.

Examples
--------
>>> import lbc_eval
>>> from lbc_eval.pilot import assign, plan, school_table
>>> c = lbc_eval.example_cohort()
>>> a = assign(school_table(c), seed=7, strata=None)
>>> spec = plan(a, outcome="sdq_total", effect_of_interest=0.3,
...             icc={"icc": 0.05, "children_per_school": 100})
>>> len(spec.hash)
64
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lbc_eval._version import __version__
from lbc_eval.data.codebook import CODEBOOK_VERSION, OUTCOMES, column
from lbc_eval.data.terms import academic_year, make_term, term_index
from lbc_eval.errors import SpecError
from lbc_eval.pilot.assign import MERGE_RULE
from lbc_eval.pilot.assignment import Assignment
from lbc_eval.pilot.document import DEVIATIONS, write_plan
from lbc_eval.pilot.randomise import ASSIGN_STREAM, PILOT_KEY, RI_STREAM, Design
from lbc_eval.pilot.sizing import design_mde
from lbc_eval.pilot.text import bilingual

#: Version of the spec's layout.
SPEC_VERSION = 1
#: The file of the machine-readable spec inside a plan's folder.
SPEC_FILE = "spec.json"
#: The measures of the work plan a pilot may test, named in both languages.
INTERVENTIONS = {
    "pairing": ("扩大结对帮扶覆盖面", "wider mentor pairing"),
    "counselling": ("心理辅导优先", "priority access to counselling"),
    "family_guidance": ("信息化家庭教育指导", "ICT-based family-education guidance"),
    "publicity": ("宣传随迁子女入学政策", "publicising the migrant-child enrolment policy"),
}
#: What :func:`~lbc_eval.pilot.analyse` checks the data and the spec against.
DEVIATION_CHECKS = tuple(DEVIATIONS)


def canonical(content: Mapping[str, Any]) -> bytes:
    """The canonical JSON of ``content`` (module docstring), as UTF-8 bytes."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)  # fmt: skip
    return text.encode("utf-8")


@dataclass(frozen=True, eq=False)
class PilotSpec:
    """A registered pilot: the plan's content and its hash.

    Attributes
    ----------
    content : dict
        Plain JSON values (:func:`plan` lists the sections).
    stored_hash : str or None
        The hash written in the file this spec was read from (None when made by :func:`plan`).
    source : Path or None
        That file.
    """

    content: dict[str, Any]
    stored_hash: str | None = None
    source: Path | None = None

    def __post_init__(self) -> None:  # plain JSON values, exactly as read back from the file
        object.__setattr__(self, "content", json.loads(canonical(self.content)))

    @property
    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :attr:`content`."""
        return hashlib.sha256(canonical(self.content)).hexdigest()

    @property
    def edited(self) -> bool:
        """Whether the file's stored hash differs from the content's (the file was edited)."""
        return self.stored_hash is not None and self.stored_hash != self.hash

    @property
    def outcome(self) -> str:
        return str(self.content["outcomes"]["primary"])

    @property
    def family(self) -> list[str]:
        """The outcomes tested, primary first (the multiple-testing family)."""
        return list(self.content["multiple_testing"]["family"])

    def design(self) -> Design:
        """The registered randomisation procedure, for randomisation inference."""
        r = self.content["randomisation"]
        schools = r["schools"]
        cov = list(r["balance_on"])
        re = r["rerandomize"] or {}
        return Design(
            schools=tuple(s["school_id"] for s in schools),
            strata=tuple(s["stratum"] for s in schools),
            treat_share=float(r["treat_share"]),
            covariates=tuple(cov),
            X=[[float(s[c]) for c in cov] for s in schools],  # type: ignore[arg-type]
            threshold=re.get("threshold"),
            max_draws=int(re.get("max_draws", 100_000)),
        )

    def arms(self) -> dict[str, str]:
        """School id -> registered arm."""
        return {s["school_id"]: s["arm"] for s in self.content["randomisation"]["schools"]}

    def to_json(self) -> str:
        """The file's text: the content and, under ``hash``, its hash."""
        return json.dumps({**self.content, "hash": self.hash}, ensure_ascii=False, indent=1,
                          sort_keys=True, allow_nan=False) + "\n"  # fmt: skip

    def write(self, folder: str | Path) -> Path:
        """Write ``spec.json`` and the plan (``plan_zh`` and ``plan_en`` as ``.md``, ``.html``
        and ``.docx``) into ``folder``; returns the path of ``spec.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / SPEC_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        for lang in ("zh", "en"):
            write_plan(self.content, self.hash, folder, lang=lang)
        return path

    @classmethod
    def read(cls, path: str | Path) -> PilotSpec:
        """Read ``spec.json`` (or the folder holding it); :attr:`stored_hash` is its ``hash``."""
        path = Path(path)
        if path.is_dir():
            path = path / SPEC_FILE
        if not path.exists():
            raise SpecError(
                "spec",
                bilingual(f"找不到 {path}：请先运行 lbc-eval pilot plan",
                          f"no {path}: run lbc-eval pilot plan first"),
            )  # fmt: skip
        data = json.loads(path.read_text(encoding="utf-8"))
        stored = data.pop("hash", None)
        return cls(content=data, stored_hash=stored, source=path)

    def __repr__(self) -> str:
        r = self.content["randomisation"]
        return (
            f"PilotSpec {self.hash[:12]}: {self.content['intervention']['en']}; primary "
            f"{self.outcome}; {len(r['schools'])} schools, seed {r['seed']}"
        )


def _text(value: Any, names: Mapping[str, tuple[str, str]], default: tuple[str, str]) -> dict:
    """``{"zh", "en"}`` from a key of ``names``, a mapping with both, a string, or None."""
    if value is None:
        zh, en = default
    elif isinstance(value, Mapping):
        zh, en = str(value.get("zh", value.get("en", ""))), str(value.get("en", value.get("zh")))
    elif str(value) in names:
        zh, en = names[str(value)]
    else:
        zh = en = str(value)
    return {"zh": zh, "en": en}


def _follow_up(baseline: str) -> str:
    """The spring term of the academic year after the baseline term's."""
    return make_term(int(academic_year(baseline)[0]) + 1, 2)


def plan(
    assignment: Assignment,
    *,
    outcome: str,
    effect_of_interest: float,
    secondary: Sequence[str] = (),
    intervention: Any = None,
    population: Any = None,
    baseline_term: str | None = None,
    follow_up_term: str | None = None,
    icc: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    reps: int = 9999,
    boot_weights: str = "auto",
    ri_reps: int = 2000,
    multiple_testing: str = "holm",
    max_attrition: float = 0.20,
    max_differential_attrition: float = 0.05,
    out: str | Path | None = None,
) -> PilotSpec:
    r"""Register the pilot's analysis before its data exist.

    Parameters
    ----------
    assignment : Assignment
        From :func:`lbc_eval.pilot.assign`.
    outcome : str
        The primary outcome, a codebook column (``sdq_total``, ``attendance``, ``math``,
        ``chinese``).
    effect_of_interest : float
        The effect (SD of the outcome) the pilot is meant to detect.
    secondary : sequence of str
        Secondary outcomes; with the primary they form the multiple-testing family.
    intervention, population : str, mapping or None
        What the pilot does and for whom: a key of :data:`INTERVENTIONS`, ``{"zh", "en"}`` or
        one text for both.
    baseline_term, follow_up_term : str, optional
        Default: the assignment's baseline term and the spring term of the next academic year.
    icc : VarianceSplit or mapping, optional
        ICCs of the primary outcome, when the assignment has no MDE for it
        (:func:`lbc_eval.pilot.assign`).
    alpha, power : float
        Test level (and 1 - the intervals' level); power of the MDE.
    reps, boot_weights
        The wild cluster bootstrap's draws and weights (:func:`lbc_eval.fit_fe`).
    ri_reps : int
        Randomisation-inference draws :math:`R`.
    multiple_testing : {"holm", "romano-wolf"}
        Family-wise adjustment of the randomisation p-values across the family.
    max_attrition, max_differential_attrition : float
        The attrition rule: overall attrition and the difference between arms above which the
        analysis reports that the rule failed.
    out : path, optional
        Also write the spec and the plan there (:meth:`PilotSpec.write`).

    Returns
    -------
    PilotSpec
        Sections of ``content``: ``title``, ``intervention``, ``population``, ``terms``,
        ``outcomes``, ``randomisation`` (seed, streams, strata and their merge rule, treat
        share, arms, threshold and draws, and the school table: school-level only),
        ``balance``, ``estimator``, ``power``, ``multiple_testing``, ``attrition``,
        ``stopping``, ``missing_data``, ``deviations``, ``kit``.

    Notes
    -----
    The registered estimator is the intention-to-treat regression

    .. math:: Y_{ij} = \alpha_{k(j)} + \tau T_j + \beta Y^0_{ij} + \gamma M_{ij} + \varepsilon_{ij}

    of child :math:`i` in school :math:`j` at follow-up on the school's arm :math:`T_j`,
    fixed effects of its stratum :math:`k(j)`, the child's baseline outcome :math:`Y^0_{ij}`
    (0 when missing) and its missing indicator :math:`M_{ij}` (when any is missing), by OLS
    with CRV1 standard errors by school. The primary p-value is the randomisation p-value of
    the studentised coefficient, :math:`(1 + \#\{r: |t^*_r| \ge |t|\}) / (1 + R)` over
    :math:`R` draws from the registered procedure (re-randomisation included), and the
    interval the constant effects that test keeps (test inversion,
    :func:`lbc_eval.pilot.ri.interval`): with a few dozen schools and strata the wild cluster
    bootstrap and CRV1 :math:`t(J-1)` intervals cover too rarely, so they are reported beside
    it (docs/pilot.md).
    """
    if outcome not in OUTCOMES:
        raise SpecError("outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    sec = [s for s in dict.fromkeys(secondary) if s != outcome]
    bad = [s for s in sec if s not in OUTCOMES]
    if bad:
        raise SpecError("secondary", f"{', '.join(bad)} not among {', '.join(OUTCOMES)}")
    if not effect_of_interest or effect_of_interest != effect_of_interest:
        raise SpecError("effect_of_interest", "a non-zero effect in SD of the outcome")
    if multiple_testing not in ("holm", "romano-wolf"):
        raise SpecError("multiple_testing", f"'holm' or 'romano-wolf', not {multiple_testing!r}")
    for name, v in (("max_attrition", max_attrition),
                    ("max_differential_attrition", max_differential_attrition)):  # fmt: skip
        if not 0 < v < 1:
            raise SpecError(name, f"a share between 0 and 1, not {v}")
    if ri_reps < 99:
        raise SpecError("ri_reps", f"at least 99 randomisation draws, not {ri_reps}")
    baseline = baseline_term or assignment.baseline_term
    if baseline is None:
        raise SpecError("baseline_term", "name the baseline term (e.g. '2024-2')")
    follow = follow_up_term or _follow_up(baseline)
    if term_index(follow)[0] <= term_index(baseline)[0]:
        raise SpecError("follow_up_term", f"{follow} is not after the baseline term {baseline}")
    content = {
        "spec_version": SPEC_VERSION,
        "kit": {"version": __version__, "codebook_version": CODEBOOK_VERSION},
        "intervention": _text(intervention, INTERVENTIONS, ("试点措施", "the pilot measure")),
        "population": _population(population, assignment),
        "terms": {
            "baseline": baseline,
            "follow_up": follow,
            "pilot_year": int(academic_year(follow)[0]),
        },  # fmt: skip
        "outcomes": _outcomes(outcome, sec),
        "randomisation": _randomisation(assignment),
        "balance": assignment.to_dict()["balance"],
        "estimator": _estimator(assignment, alpha, reps, boot_weights, ri_reps),
        "power": _power_section(assignment, outcome, icc, alpha, power, effect_of_interest),
        "multiple_testing": {"family": [outcome, *sec], "method": multiple_testing},
        "attrition": {"max_overall": max_attrition, "max_differential": max_differential_attrition},
        "stopping": {
            "interim_analyses": 0,
            "zh": "不做期中分析，试点完整运行一学年；仅在学校报告伤害时暂停，并记录为偏离。",
            "en": "No interim analysis: the pilot runs the whole academic year; it stops only if a "
            "school reports harm, which is recorded as a deviation.",
        },
        "deviations": list(DEVIATION_CHECKS),
    }
    spec = PilotSpec(content=content)
    if out is not None:
        spec.write(out)
    return spec


def _population(population: Any, a: Assignment) -> dict[str, Any]:
    n = len(a.table)
    default = (
        f"全县随机分配的 {n} 所学校中，随访学期在读的儿童（其学校的组别即其组别）",
        f"children enrolled at follow-up in the {n} randomised schools (their school's arm is "
        f"theirs)",
    )
    text = _text(population, {}, default)
    return {**text, "schools": n, "strata": int(a.table["stratum"].nunique())}


def _outcomes(outcome: str, secondary: list[str]) -> dict[str, Any]:
    cols = {}
    for o in (outcome, *secondary):
        c = column(o)
        cols[o] = {"label_zh": c.label_zh, "label_en": c.label_en, "unit": c.unit,
                   "allowed": c.allowed}  # fmt: skip
    return {"primary": outcome, "secondary": secondary, "columns": cols}


def _randomisation(a: Assignment) -> dict[str, Any]:
    d = a.to_dict()
    covs = {s["school_id"]: s for s in d["schools"]}
    schools = [{**{k: covs[r["school_id"]].get(k) for k in a.covariates}, **r}
               for r in d["assignment"]]  # fmt: skip
    return {
        "unit": "school_id",
        "seed": a.seed,
        "streams": {
            "assignment": [a.seed, PILOT_KEY, ASSIGN_STREAM],
            "inference": [a.seed, PILOT_KEY, RI_STREAM],
        },  # fmt: skip
        "strata_column": a.strata_column,
        "min_stratum_size": a.min_stratum_size,
        "merge_rule": MERGE_RULE,
        "merged": dict(a.merged),
        "treat_share": a.treat_share,
        "arms": list(a.arms),
        "balance_on": list(a.covariates),
        "rerandomize": d["rerandomize"],
        "support": d["support"],
        "schools": schools,
    }


def _estimator(
    a: Assignment, alpha: float, reps: int, boot_weights: str, ri_reps: int
) -> dict[str, Any]:
    return {
        "estimand": "itt",
        "equation": "Y_ij = a_k(j) + tau T_j + b Y0_ij + g M_ij + e_ij",
        "fixed_effects": ["stratum"],
        "controls": ["baseline outcome (0 when missing)", "baseline missing indicator"],
        "cluster": "school_id",
        "std_error": "CRV1",
        "interval": "randomisation",
        "alpha": alpha,
        "reps": reps,
        "boot_weights": boot_weights,
        "bootstrap_seed": a.seed,
        "ri_reps": ri_reps,
        "ri_statistic": "t = tau_hat / CRV1 se (studentised), FWL on stratum effects and baseline",
        "primary_p_value": "randomisation",
        "sd_units": "estimate / SD of the outcome over the children of the randomised schools "
        "in the baseline term",
    }


def _power_section(
    a: Assignment, outcome: str, icc: Any, alpha: float, power: float, effect: float
) -> dict[str, Any]:
    from lbc_eval.pilot.power import power as power_of

    row: dict[str, Any] | None = None
    if icc is not None:
        row = design_mde(icc, len(a.table), a.treat_share, alpha, power, None, True, [])
    elif a.power and a.power.get("outcome") in (outcome, None):
        row = dict(a.power)
    if row is None:
        raise SpecError(
            "icc",
            bilingual(
                f"计划须写明最小可检出效应：请传入 {outcome} 的组内相关系数 "
                f"icc=icc_from_cohort(cohort, outcome={outcome!r})",
                f"the plan needs the MDE of {outcome}: pass "
                f"icc=icc_from_cohort(cohort, outcome={outcome!r})",
            ),
        )
    row = {**row, "outcome": outcome, "effect_of_interest_sd": float(effect)}
    inputs = {k: row[k] for k in ("icc", "r2_cluster", "r2_individual")}
    row["power_at_effect"] = float(power_of(
        effect=abs(effect), n_clusters=row["n_schools"], cluster_size=row["children_per_school"],
        treat_share=row["treat_share"], alpha=row["alpha"], **inputs))  # fmt: skip
    row.pop("max_mde", None)
    return row
