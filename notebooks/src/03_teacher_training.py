# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 3. 教师培训：培训过的学校，留守儿童成绩更好吗？
#
# **问题（Q2）。** 教育局通过国家级和省级项目培训教师，并评选骨干教师。受训教师比例更高的学校，儿童（尤其是留守儿童）的成绩是否更好？
#
# **数据。** 每个儿童学期的成绩，与所在学校当学年的受训教师比例（`schools` 表）相连。
#
# **方法。** 学校固定效应和年份固定效应：规模较大、管理较好的学校往往先开展培训，培训多的学校本来就与其他学校不同；把每所学校与它自己在不同年份比较，可以消除这种差异。效应还分别对留守儿童和非留守儿童估计，并给出两者之差。聚类单位是学校，而学校很少：p 值和置信区间由野聚类自助法给出（受约束的 wild cluster bootstrap，学校极少时用 Webb 权重）。多层模型（儿童嵌套于班级、班级嵌套于学校）分解成绩的方差，给出规划试点所需的组内相关系数（见笔记 5《明年工作计划的证据》）。假设：学校受训教师比例的变化，不与其他逐年影响该校成绩的因素同时发生。

# %% [markdown] tags=["en"]
# # 3. Teacher training: do scores rise where teachers are trained?
#
# **Question (Q2).** The bureau trains teachers through national and provincial programmes and names backbone teachers. Do children, and left-behind children in particular, score better in schools where a larger share of teachers has been trained?
#
# **Data.** Every child-term's score, matched to the school's trained-teacher share in that academic year (`schools` table).
#
# **Method.** School and year fixed effects: training reaches larger, better-run schools first, so schools that train more differ from the rest; comparing each school with itself over the years removes that. The effect is also estimated separately for left-behind children and as the difference. Schools are the clusters and they are few: the wild cluster bootstrap (restricted, Webb weights when there are very few) gives p-values and intervals. A multilevel model (children in classes in schools) splits the score variance and gives the ICCs that pilot planning needs (notebook 5). Assumption: a school's trained share does not change with other things that move its scores from year to year.

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for exported tables (None: write no files)
LANG = "zh"  # labels: "zh", "en" or "both"
SEED = 0  # bootstrap seed

# %%
import warnings

from lbc_eval.data import labels
from lbc_eval.report import notebook
from lbc_eval.errors import FewClustersWarning
from lbc_eval.questions.training import fit_training

# with few schools the kit switches to the wild cluster bootstrap and says so in each
# result's notes (printed below), so the warning itself is not repeated here
warnings.simplefilter("ignore", FewClustersWarning)
# only the panel columns used here: a province's other columns would only take memory
cohort = notebook.load(DATA, columns=["student_id", "school_id", "class_id", "lb_status",
                                      "math", "chinese"])
truth = cohort.truth  # None for real data
print(notebook.describe(cohort, LANG))

# %% [markdown] tags=["zh"]
# ## 数学和语文成绩
#
# 每个估计下面是它的设计检验：估计依据了多少所学校；以及前导安慰剂检验（下一年的受训教师比例不可能提高今年的成绩；如果它能「预测」今年的成绩，说明开展培训的学校本来就在进步，估计把两者混在了一起）。

# %% [markdown] tags=["en"]
# ## Math and Chinese scores
#
# Below each estimate, its design checks: how many schools carry it, and a lead placebo (next year's trained-teacher share cannot have raised this year's scores; if it "predicts" them, schools that train were improving anyway and the estimate mixes the two).

# %%
say = notebook.progress(LANG)
fits = {}
for outcome in ("math", "chinese"):
    say(notebook.header(outcome, LANG))
    fit = fit_training(cohort, outcome=outcome, seed=SEED, reps=999)
    notebook.show(fit, truth=truth, lang=LANG)
    notebook.print_diagnostics(fit, lang=LANG)
    # kept without its fits (below only its tables and rows are read), and the full result
    # let go before the next outcome: on a province its fits take gigabytes
    fits[outcome] = fit.without_fits()
    del fit

# %% [markdown] tags=["zh"]
# ## 成绩差异的来源：学校、班级和儿童
#
# 成绩方差中学校之间（学校层组内相关系数）和班级之间所占的比例；规划整群随机试点需要这些数字（见笔记 5《明年工作计划的证据》）。

# %% [markdown] tags=["en"]
# ## How scores vary: schools, classes and children
#
# The share of the score variance between schools (school ICC) and between classes; a cluster-randomised pilot needs these to be planned (notebook 5).

# %%
for outcome, fit in fits.items():
    caption = notebook.text(
        LANG,
        f"{labels.label(outcome, 'zh')}：方差分解（多层模型，{cohort.terms[-1]} 学期）",
        f"{outcome}: variance split (multilevel model, {cohort.terms[-1]})",
    )
    notebook.display_table(fit.tables["variance"], LANG, digits=3, caption=caption)
    icc = fit.tables["icc"]
    parts = [(labels.value_label("level", lv, LANG), v) for lv, v in zip(icc["level"], icc["icc"])]
    sep = ", " if LANG == "en" else "，"
    print(notebook.text(LANG, "组内相关系数：", "ICC: ") + sep.join(f"{lv} {v:.3f}" for lv, v in parts))

# %% [markdown] tags=["zh"]
# ## 从上面的结果读出什么
#
# 下面每一句都由上面的估计值计算得出：受训教师比例从 0 提高到 1 时成绩的变化及其置信区间是否包含 0，留守儿童与非留守儿童之差的区间是否包含 0，以及估计依据的学校数。

# %% [markdown] tags=["en"]
# ## What the results above say
#
# Each line below is computed from the estimates above: the change in scores as the trained share goes from 0 to 1 and whether its interval contains 0, whether the interval of the difference between left-behind and other children contains 0, and how many schools the estimate rests on.

# %%
for outcome, fit in fits.items():
    t = fit.tidy().set_index("term")
    est, lo, hi = t.loc["trained_share", ["estimate", "conf_low", "conf_high"]]
    d, dlo, dhi = t.loc["trained_share:difference", ["estimate", "conf_low", "conf_high"]]
    zero = lo <= 0 <= hi
    dzero = dlo <= 0 <= dhi
    print(notebook.text(
        LANG,
        f"- {labels.label(outcome, 'zh')}：受训教师比例从 0 到 1，成绩变化 {est:+.3f} 个标准差（95% 置信区间 "
        f"[{lo:.3f}, {hi:.3f}]，{'包含' if zero else '不含'} 0）；留守儿童与非留守儿童之差 {d:+.3f}"
        f"（[{dlo:.3f}, {dhi:.3f}]，{'包含' if dzero else '不含'} 0）；依据 {fit.n_clusters} 所学校。",
        f"- {outcome}: trained share from 0 to 1 goes with {est:+.3f} SD (95% CI [{lo:.3f}, "
        f"{hi:.3f}], {'contains' if zero else 'excludes'} 0); left-behind minus other children "
        f"{d:+.3f} ([{dlo:.3f}, {dhi:.3f}], {'contains' if dzero else 'excludes'} 0); "
        f"{fit.n_clusters} schools.",
    ))

# %% [markdown] tags=["zh"]
# ## 这些结果说明了什么，没有说明什么
#
# - 固定效应估计把每所学校与它自己比较；简单比较一行（不控制学校固定效应）把培训与学校原有的办学水平混在一起。
# - 学校少时置信区间较宽：区间包含 0 时，这只是「没有效应」的弱证据。全国评估（Loyalka 等，2019）发现教师培训对学生成绩的效应接近 0，且估计精确，可作参照。
# - 记录中没有培训内容、每名教师的培训量，以及哪些教师任教留守儿童；受训教师比例只是对培训接触程度的粗略度量。

# %% [markdown] tags=["en"]
# ## What this shows, and what it does not
#
# - The fixed-effects estimate compares each school with itself; the naive row (no school effects) mixes training with how good the school already was.
# - With few schools, intervals are wide: an interval that contains 0 is weak evidence of no effect. The national evaluation (Loyalka et al. 2019) found a precise null effect of teacher training on scores, for reference.
# - Training content, dosage per teacher and which teachers teach left-behind children are not in the records; the trained share is a rough measure of exposure.
