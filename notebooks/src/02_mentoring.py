# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 2. 结对帮扶：多谈心、多家访有用吗？
#
# **问题（Q1）。** 结对帮扶人（党员干部、志愿教师等）与留守儿童谈心、到家中走访、与家长保持联系（「三多」）。某学期帮扶次数更多，下学期儿童的情绪和行为困难（SDQ）是否更少，出勤率和成绩是否更好？帮扶次数多到什么程度以后，再增加的作用就不大了？
#
# **数据。** 有结对帮扶人的儿童学期，与同一名儿童的下一个学期相连。帮扶次数 = 当学期谈心次数 + 家访次数 + 与家长沟通次数。
#
# **方法。** 同一名儿童自身前后比较：控制儿童固定效应和学期固定效应，使儿童稳定的需要（帮扶人可能更常看望需要更多的儿童）相互抵消；估计依据的是同一名儿童在不同学期得到的帮扶次数的差异（例如志愿者人手紧张的学期）。分组的帮扶次数（0、1–2、3–5、6 次及以上）和一条平滑曲线刻画效应的形状，多一次帮扶的平均边际效应（AME）加以概括。标准误按学校聚类；学校少于 50 所时，p 值和置信区间由野聚类自助法（wild cluster bootstrap）给出。旁边列出简单的横截面斜率作对照。假设：除已控制的留守类型外，帮扶次数不随儿童当学期的状况而变化。

# %% [markdown] tags=["en"]
# # 2. Mentoring: does more contact help, and where does it stop paying off?
#
# **Question (Q1).** Paired mentors (Party cadres, volunteer teachers) talk with left-behind children, visit their homes and keep in touch with their parents ("三多"). Does a term with more contacts lead to fewer emotional and behavioural difficulties (SDQ), better attendance and better scores the next term, and where do extra contacts stop adding much?
#
# **Data.** Mentored child-terms (a mentor that term) followed to the same child's next term. Dose = talks + home visits + contacts with parents that term.
#
# **Method.** Within-child comparison: child and term fixed effects, so a child's stable need (mentors may see needier children more often) cancels out; the variation comes from terms in which the same child got more or fewer contacts (for example because volunteers were scarce). Binned doses (0, 1–2, 3–5, 6+) and a smooth curve give the shape; the average marginal effect (AME) of one more contact summarises it. Errors are clustered by school; with fewer than 50 schools the wild cluster bootstrap gives the p-values and intervals. The naive cross-sectional slope is shown beside it for contrast. Assumption: contacts do not respond to how the child was doing that term, beyond what the left-behind status (controlled) captures.

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for exported tables (None: write no files)
LANG = "zh"  # labels: "zh", "en" or "both"
SEED = 0  # bootstrap seed

# %%
import matplotlib.pyplot as plt

import warnings

from lbc_eval.data import labels
from lbc_eval.report import notebook
from lbc_eval.errors import FewClustersWarning
from lbc_eval.questions.mentoring import fit_dose_response, fit_dose_response_methods
from lbc_eval.estimation.inference.multiple import adjust_pvalues
from lbc_eval.report.plots import plot_dose_response

# with few schools the kit switches to the wild cluster bootstrap and says so in each
# result's notes (printed below), so the warning itself is not repeated here
warnings.simplefilter("ignore", FewClustersWarning)
# only the panel columns used here: a province's other columns would only take memory
cohort = notebook.load(DATA, columns=["student_id", "school_id", "lb_status", "mentor_role",
                                      "talks", "home_visits", "parent_contacts", "sdq_total",
                                      "attendance", "math", "chinese"])
truth = cohort.truth  # None for real data
print(notebook.describe(cohort, LANG))

# %% [markdown] tags=["zh"]
# ## 下学期 SDQ 困难总分（0–40，越低越好）

# %% [markdown] tags=["en"]
# ## Next-term SDQ total difficulties (0–40, lower is better)

# %%
# the within-child and supply-IV estimates from one set of fits (the IV is shown further down)
sdq_methods = fit_dose_response_methods(cohort, outcome="sdq_total", seed=SEED, reps=999)
sdq = sdq_methods["within"]
notebook.show(sdq, truth=truth, lang=LANG)

# %% [markdown] tags=["zh"]
# ## 儿童内部比较在这里可信吗？
#
# 儿童内部估计假设：儿童得到的帮扶次数不随其当学期的状况而变化。有两项检验。**前导安慰剂检验**加入下学期的帮扶次数：它不可能改变本学期的结果，如果它能「预测」本学期的结果，说明帮扶次数跟着儿童状况差的学期走，儿童内部估计有偏。**学校学期帮扶供给**（同校其他儿童当学期得到的帮扶次数）会因与该儿童无关的原因改变其帮扶次数；以它为工具变量得到的估计不需要上述假设（同时检验第一阶段的强度），再与儿童内部估计比较。下面每一行根据该检验自身的数字说明是否通过。

# %% [markdown] tags=["en"]
# ## Is the within-child comparison credible here?
#
# The within-child estimate assumes that a child's contacts do not respond to how that child is doing this term. Two checks test it. The **lead placebo** adds next term's contacts: they cannot have changed this term's outcome, so if they "predict" it, contacts follow the child's bad terms and the within estimate is biased. The **school-term supply** of mentoring (the contacts the other children of the school received that term) moves a child's contacts for reasons that have nothing to do with the child; instrumenting by it gives an estimate that does not need the assumption (its first-stage strength is checked), and the two estimates are compared. Each line below says whether the check passed, from its own numbers.

# %%
notebook.print_diagnostics(sdq, lang=LANG)
notebook.show(sdq_methods["supply_iv"], truth=truth, lang=LANG,
              title=notebook.text(LANG, "工具变量估计（以学校学期帮扶供给为工具变量）",
                                  "supply IV (school-term supply of mentoring)"))

# %%
ax = plot_dose_response(sdq, truth=truth, lang=LANG)
plt.show()

# %% [markdown] tags=["zh"]
# ## 出勤率和成绩，以及四个结果合并检验
#
# 同时检验四个结果，会增加出现假阳性的机会；Romano–Wolf 校正后的 p 值（来自同一组野自助抽样）控制族错误率（family-wise error rate）。

# %% [markdown] tags=["en"]
# ## Attendance and scores, and all four outcomes together
#
# Testing four outcomes at once raises the chance of a false finding; the Romano–Wolf adjusted p-values (from one shared wild bootstrap) control the family-wise error rate.

# %%
say = notebook.progress(LANG)
results = {"sdq_total": sdq}
for outcome in ("attendance", "math", "chinese"):
    say(notebook.header(outcome, LANG))
    result = fit_dose_response(cohort, outcome=outcome, seed=SEED, reps=999)
    notebook.show(result, truth=truth, lang=LANG)
    notebook.print_diagnostics(result, lang=LANG)
    # kept without its fits but the AME's, which the adjustment below re-tests, and the
    # full result let go before the next outcome: on a province its fits take gigabytes
    results[outcome] = result.without_fits(keep=["ame"])
    del result

# %%
adjusted = adjust_pvalues(results, term="ame", method="romano-wolf", reps=999, seed=SEED)
notebook.display_table(adjusted.rename(columns={"term": "estimate_term"}), LANG)

# %% [markdown] tags=["zh"]
# ## 从上面的结果读出什么
#
# 下面每一句都由上面的估计值计算得出：平均边际效应的置信区间是否包含 0；平滑曲线上每多一次帮扶的平均变化（按点估计）在帮扶次数增加后是否变小；简单横截面斜率与儿童内部估计的符号是否相同。

# %% [markdown] tags=["en"]
# ## What the results above say
#
# Each line below is computed from the estimates above: whether the AME's interval contains 0; whether the change per extra contact along the smooth curve (point estimates) gets smaller as contacts increase; whether the naive cross-sectional slope has the same sign as the within-child estimate.


# %%
def reading(result):
    """Sentences computed from a dose-response result (zh or en by LANG)."""
    t = result.tidy().set_index("term")
    ame, lo, hi = t.loc["ame", ["estimate", "conf_low", "conf_high"]]
    naive = t.loc["ame_naive", "estimate"]
    name_zh, name_en = labels.label(result.outcome, "zh"), labels.label(result.outcome, "en")
    zero_zh = "不含 0" if lo > 0 or hi < 0 else "包含 0，不能排除没有效应"
    zero_en = "excludes 0" if lo > 0 or hi < 0 else "contains 0: no effect cannot be ruled out"
    curve = result.tables["curve"].set_index("dose")["estimate"]
    points = [d for d in (0, 3, 6, 10) if d in curve.index]
    slopes = [(curve[b] - curve[a]) / (b - a) for a, b in zip(points, points[1:])]
    spans = [f"{a}–{b}" for a, b in zip(points, points[1:])]
    steps_zh = "，".join(f"{sp} 次 {s:+.4f}" for sp, s in zip(spans, slopes))
    steps_en = ", ".join(f"{sp} contacts {s:+.4f}" for sp, s in zip(spans, slopes))
    along = all((s > 0) == (ame > 0) and s != 0 for s in slopes)
    if lo <= 0 <= hi:
        shape_zh, shape_en = "平均边际效应的区间包含 0，曲线形状不作解读", "the AME's interval contains 0, so the shape is not read"
    elif along and all(abs(b) < abs(a) for a, b in zip(slopes, slopes[1:])):
        shape_zh, shape_en = "越往后越小（边际效应递减）", "smaller further out (diminishing returns)"
    elif along and all(abs(b) > abs(a) for a, b in zip(slopes, slopes[1:])):
        shape_zh, shape_en = "越往后越大（边际效应递增）", "larger further out (increasing returns)"
    else:
        shape_zh, shape_en = "没有一致的递减或递增", "neither steadily smaller nor larger"
    same = (naive > 0) == (ame > 0)
    sign_zh = "符号相同" if same else "符号相反"
    sign_en = "the same sign" if same else "the opposite sign"
    return notebook.text(
        LANG,
        f"- {name_zh}：多一次帮扶的平均边际效应 {ame:+.4f}（95% 置信区间 [{lo:.4f}, {hi:.4f}]，"
        f"{zero_zh}）；曲线上每多一次帮扶的平均变化：{steps_zh}，{shape_zh}；简单横截面斜率 "
        f"{naive:+.4f}，与儿童内部估计{sign_zh}。",
        f"- {name_en}: AME of one more contact {ame:+.4f} (95% CI [{lo:.4f}, {hi:.4f}], "
        f"{zero_en}); change per extra contact along the curve: {steps_en}, {shape_en}; the "
        f"naive cross-sectional slope {naive:+.4f} has {sign_en} as the within estimate.",
    )


for result in results.values():
    print(reading(result))

# %% [markdown] tags=["zh"]
# ## 这些结果说明了什么，没有说明什么
#
# - 儿童内部的平均边际效应，是对已结对儿童而言、按他们实际得到的帮扶次数平均的多一次帮扶的效应；效应的形状见上面由曲线计算的读数，曲线的置信带见图。
# - 简单横截面斜率混入了「哪些儿童得到更多帮扶」的差异，不能当作效应来读；它与儿童内部估计是否一致，见上面的读数。
# - 它不能说明对没有结对的儿童多一次帮扶会怎样，也不能说明整个结对帮扶项目的效应（儿童某学期是否结对，本身有与结果相关的原因）。

# %% [markdown] tags=["en"]
# ## What this shows, and what it does not
#
# - The within-child AME is the effect of one more contact for the mentored children, averaged over the contacts they actually received; the shape is in the reading computed from the curve above, its band in the figure.
# - The naive cross-sectional slope mixes in which children get more contacts; never read it as an effect. Whether it agrees with the within estimate is in the reading above.
# - It does not show what one more contact would do for children who are not paired, nor the effect of the mentoring programme as a whole (every term of a child is mentored or not for reasons that also matter).
