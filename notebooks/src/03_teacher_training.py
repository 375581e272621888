# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. 教师培训：培训过的学校，留守儿童成绩更好吗？ / Teacher training: do scores rise where teachers are trained?
#
# **Question (Q2).** The bureau trains teachers through national and provincial programmes and
# names backbone teachers. Do children, and left-behind children in particular, score better in
# schools where a larger share of teachers has been trained?
#
# **Data.** Every child-term's score, matched to the school's trained-teacher share in that
# academic year (`schools` table).
#
# **Method.** School and year fixed effects: training reaches larger, better-run schools first,
# so schools that train more differ from the rest; comparing each school with itself over the
# years removes that. The effect is also estimated separately for left-behind children and as
# the difference. Schools are the clusters and they are few: the wild cluster bootstrap (restricted,
# Webb weights when there are very few) gives p-values and intervals. A multilevel model
# (children in classes in schools) splits the score variance and gives the ICCs that pilot
# planning needs (notebook 5). Assumption: a school's trained share does not change with other
# things that move its scores from year to year.

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for exported tables (None: write no files)
LANG = "zh"  # labels: "zh", "en" or "both"
SEED = 0  # bootstrap seed

# %%
import warnings

from lbc_eval.report import notebook
from lbc_eval.errors import FewClustersWarning
from lbc_eval.questions.training import fit_training

# with few schools the kit switches to the wild cluster bootstrap and says so in each
# result's notes (printed below), so the warning itself is not repeated here
warnings.simplefilter("ignore", FewClustersWarning)
cohort = notebook.load(DATA)
truth = cohort.truth  # None for real data
print(cohort)

# %% [markdown]
# ## Math and Chinese scores
#
# Below each estimate, its design checks: how many schools carry it, and a lead placebo (next
# year's trained-teacher share cannot have raised this year's scores; if it "predicts" them,
# schools that train were improving anyway and the estimate mixes the two).

# %%
fits = {}
for outcome in ("math", "chinese"):
    fits[outcome] = fit_training(cohort, outcome=outcome, seed=SEED,
                                 reps=999)
    notebook.show(fits[outcome], truth=truth)
    notebook.print_diagnostics(fits[outcome])

# %% [markdown]
# ## How scores vary: schools, classes and children
#
# The share of the score variance between schools (school ICC) and between classes; a
# cluster-randomised pilot needs these to be planned (notebook 5).

# %%
for outcome, fit in fits.items():
    print(f"{outcome}: variance split (multilevel model, {cohort.terms[-1]})")
    notebook.print_table(fit.tables["variance"], digits=3)
    icc = ", ".join(f"{level} {value:.3f}" for level, value in zip(fit.tables["icc"]["level"], fit.tables["icc"]["icc"]))
    print(f"ICC: {icc}\n")

# %% [markdown]
# ## What this shows, and what it does not
#
# - The fixed-effects estimate compares each school with itself; the naive row (no school
#   effects) mixes training with how good the school already was.
# - With few schools, intervals are wide: a null finding here is weak evidence of no effect,
#   though it agrees with the national evaluation (Loyalka et al. 2019: a precise null).
# - Training content, dosage per teacher and which teachers teach left-behind children are not
#   in the records; the trained share is a rough measure of exposure.
