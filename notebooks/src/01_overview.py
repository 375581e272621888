# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 1. 概况：谁是留守儿童，他们得到了哪些关爱
#
# **问题。** 在做任何估计之前，先弄清楚：全县的留守儿童分布在哪些乡镇、哪些年级，由谁监护；教育局计划的各项关爱措施覆盖了多少留守儿童；记录是否完整；全县情况与全国相比如何。
#
# **数据。** 队列数据表（`panel`：每名儿童每学期一行；`schools`：学校；`destinations`：父母务工地），由合成数据生成器生成，或由 `lbc-eval ingest` 从学校报表读入。儿童人数按小单元格规则发布：少于 10 名儿童的单元格一律隐藏，并同时隐藏足够多的其他单元格，使隐藏的数字无法从合计中推算出来（`lbc_eval.suppress`）。

# %% [markdown] tags=["en"]
# # 1. Overview: who the left-behind children are
#
# **Question.** Before estimating anything: who are the county's left-behind children (by township, grade and guardian), how much of the support the bureau plans reaches them, how complete are the records, and how does the county compare with the national picture?
#
# **Data.** The cohort tables (`panel`: child x term; `schools`; `destinations`), built by the synthetic generator or by `lbc-eval ingest` from school records. Counts of children are published with small cells (fewer than 10 children) suppressed, together with enough other cells that none can be recovered from the totals (`lbc_eval.suppress`).

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for exported tables (None: write no files)
LANG = "zh"  # labels: "zh", "en" or "both"
SEED = 0  # unused here; kept so every notebook takes the same parameters

# %%
import matplotlib.pyplot as plt

import lbc_eval
from lbc_eval.data import labels
from lbc_eval.publish import audit
from lbc_eval.questions import overview
from lbc_eval.report import notebook
from lbc_eval.report.plots import plot_coverage, plot_national

cohort = notebook.load(DATA)
print(notebook.describe(cohort, LANG))
# the exits are shown below by term, with small cells suppressed
figures = cohort.summary()
figures = figures[~figures["figure"].str.startswith("exits")]
notebook.display_table(figures, LANG)

# %% [markdown] tags=["zh"]
# ## 谁是留守儿童
#
# 最近一个学期的儿童人数，按乡镇、年级和监护人分列，并按父母外出情况（均在家 / 父亲外出 / 母亲外出 / 父母均外出）分栏。被隐藏的单元格显示为 x。

# %% [markdown] tags=["en"]
# ## Who is left behind
#
# Children in the latest term by township, grade and guardian, with the parents' migration status (none / father / mother / both away). Suppressed cells show `x`.

# %%
for by in ("township", "grade", "guardian"):
    profile = overview.lb_profile(cohort, by=by)
    counts = profile.set_index(by)[["none", "father", "mother", "both", "total"]]
    published = lbc_eval.suppress(counts, margins="total", k=notebook.K)
    caption = notebook.text(
        LANG,
        f"{cohort.terms[-1]} 学期儿童人数：按{labels.label(by, 'zh')}和留守类型",
        f"Children by {labels.label(by, 'en').lower()} and left-behind status, {cohort.terms[-1]}",
    )
    notebook.display_table(published, LANG, levels="lb_status", caption=caption)

# %% [markdown] tags=["zh"]
# ## 关爱措施的覆盖面
#
# 每学期已与帮扶人结对的留守儿童所占比例，以及帮扶人的身份；最近一个学期留守儿童与其他儿童获得心理辅导和课业辅导的情况。

# %% [markdown] tags=["en"]
# ## Support coverage
#
# Share of left-behind children paired with a mentor each term, and by whom; access to counselling and tutoring for left-behind children compared with the others in the latest term.

# %%
coverage = audit.coverage(cohort.panel, by="term", k=notebook.K)
notebook.display_table(coverage, LANG)
access = audit.access(cohort.panel, by="term", k=notebook.K)
notebook.display_table(access[access["term"] == cohort.terms[-1]], LANG)

# %%
ax = plot_coverage(coverage, lang=LANG)
plt.show()

# %% [markdown] tags=["zh"]
# ## 数据质量
#
# 各学期结果变量的缺失比例，以及离开全县学籍记录的儿童人数和记录的原因。随父母迁出本县的人数可能受入学政策影响（见笔记 4《居住证入学政策》），因此后面几个学期的儿童不一定是第一学期儿童的随机子集。

# %% [markdown] tags=["en"]
# ## Data quality
#
# Missing outcomes by term, and children leaving the county's records with the recorded reason. Moves out of the county with the parents may depend on the enrolment policy (notebook 4), so the later terms need not be a random subset of the first.

# %%
quality = overview.data_quality(cohort)
missing = quality.pivot(index="term", columns="outcome", values="missing_share")
notebook.display_table(
    missing, LANG, caption=notebook.text(LANG, "各结果变量的缺失比例", "Share of outcomes missing")
)
exits = overview.exits(cohort).set_index("term")
exits.loc["total"] = exits.sum()
notebook.display_table(
    lbc_eval.suppress(exits, margins="total", k=notebook.K),
    LANG,
    levels="exit_reason",
    caption=notebook.text(LANG, "离开学籍记录的儿童人数：按学期和原因",
                          "Children leaving the records, by term and reason"),
)

# %% [markdown] tags=["zh"]
# ## 全国背景
#
# 教育部公布的农村留守儿童和进城务工人员随迁子女在义务教育阶段的人数（万人），只列出公布了确切数字的年份；每个数字的出处见工具包的参考表 `national_counts.csv`（`lbc_eval.data.resources.reference_path`）。没有数字的年份留空，不做插值。民政部的统计（父母均外出的 16 岁以下儿童）口径不同，单独列出。

# %% [markdown] tags=["en"]
# ## The national context
#
# Ministry of Education counts of rural left-behind children and of migrant children in compulsory education (10,000s), where an exact figure was published; each figure's source is in the kit's reference table `national_counts.csv` (`lbc_eval.data.resources.reference_path`). Years without a figure are gaps, not interpolated. Ministry of Civil Affairs counts (children under 16 with both parents away) use another definition and are listed separately.

# %%
national = overview.national_counts()
notebook.display_table(national[["year", "series", "definition", "level", "count_10k"]], LANG,
                       digits=2)
ax = plot_national(lang=LANG)
plt.show()

# %% [markdown] tags=["zh"]
# ## 这些结果说明了什么，没有说明什么
#
# - 本笔记只描述队列，不估计任何效应。父母外出务工时走时回，儿童的留守状态每学期都可能变化，因此各比例只针对所列学期。
# - 覆盖面统计的是学校记录的结对和帮扶次数，不反映帮扶的质量。
# - 全国数字来自不同年份和不同来源，只宜比较数量级，不宜比较确切比例。

# %% [markdown] tags=["en"]
# ## What this shows, and what it does not
#
# - It describes the cohort; it estimates no effect. Left-behind status changes from term to term as parents start and stop working away, so shares refer to the term shown.
# - Coverage counts pairings and contacts as recorded by schools; it says nothing about their quality.
# - The national figures come from different years and sources; compare orders of magnitude, not exact shares.
