# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. 概况：谁是留守儿童，他们得到了哪些关爱 / Overview: who the left-behind children are
#
# **Question.** Before estimating anything: who are the county's left-behind children (by
# township, grade and guardian), how much of the support the bureau plans reaches them, how
# complete are the records, and how does the county compare with the national picture?
#
# **Data.** The cohort tables (`panel`: child x term; `schools`; `destinations`), built by the
# synthetic generator or by `lbc-eval ingest` from school records. Counts of children are
# published with small cells (fewer than 10 children) suppressed, together with enough other
# cells that none can be recovered from the totals (`lbc_eval.suppress`).

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for exported tables (None: write no files)
LANG = "zh"  # labels: "zh", "en" or "both"
SEED = 0  # unused here; kept so every notebook takes the same parameters

# %%
import matplotlib.pyplot as plt

import lbc_eval
from lbc_eval.publish import audit
from lbc_eval.questions import overview
from lbc_eval.report import notebook
from lbc_eval.report.plots import plot_coverage, plot_national

cohort = notebook.load(DATA)
print(cohort)
notebook.print_table(cohort.summary())

# %% [markdown]
# ## Who is left behind
#
# Children in the latest term by township, grade and guardian, with the parents' migration
# status (none / father / mother / both away). Suppressed cells show `x`.

# %%
for by in ("township", "grade", "guardian"):
    profile = overview.lb_profile(cohort, by=by)
    counts = profile.set_index(by)[["none", "father", "mother", "both"]]
    published = lbc_eval.suppress(counts)
    print(f"\nchildren by {by} and left-behind status, {cohort.terms[-1]}")
    print(published.marked("x").to_string())
    print(published.note())

# %% [markdown]
# ## Support coverage
#
# Share of left-behind children paired with a mentor each term, and by whom; access to
# counselling and tutoring for left-behind children compared with the others.

# %%
coverage = audit.coverage(cohort.panel, by="term", k=10)
notebook.print_table(coverage)
access = audit.access(cohort.panel, by="term", k=10)
notebook.print_table(access[access["term"] == cohort.terms[-1]])

# %%
ax = plot_coverage(coverage)
plt.show()

# %% [markdown]
# ## Data quality
#
# Missing outcomes by term, and children leaving the county's records with the recorded reason.
# Moves out of the county with the parents depend on the enrolment policy (notebook 4), so the
# later terms are not a random subset of the first.

# %%
quality = overview.data_quality(cohort)
notebook.print_table(quality.pivot(index="term", columns="outcome", values="missing_share").reset_index())
print()
notebook.print_table(overview.exits(cohort))

# %% [markdown]
# ## The national context
#
# Ministry of Education counts of rural left-behind children and of migrant children in
# compulsory education (10,000s), where an exact figure was published; each figure's source is
# in the kit's reference table `national_counts.csv` (`lbc_eval.data.resources.reference_path`). Years without a figure are gaps, not interpolated.
# Ministry of Civil Affairs counts (children under 16 with both parents away) use another
# definition and are listed separately.

# %%
national = overview.national_counts()
notebook.print_table(national[["year", "series", "definition", "level", "count_10k"]], digits=2)
ax = plot_national(lang=LANG)
plt.show()

# %% [markdown]
# ## What this shows, and what it does not
#
# - It describes the cohort; it estimates no effect. Left-behind status changes from term to
#   term as parents start and stop working away, so shares refer to the term shown.
# - Coverage counts pairings and contacts as recorded by schools; it says nothing about their
#   quality.
# - The national figures come from different years and sources; compare orders of magnitude,
#   not exact shares.
