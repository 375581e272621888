# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 留守儿童关爱工作：明年工作计划的证据
#
# 本简报汇总结对帮扶（Q1）、教师培训（Q2）和随迁子女入学政策（Q3）的分析结果，说明明年工作计划中每项措施的依据，以及开展试点需要的规模。所有估计都附有 95% 置信区间；表格中少于 10 名儿童的单元格已隐藏（标记为 x）。

# %% [markdown] tags=["en"]
# # Care for left-behind children: evidence for next year's work plan
#
# This brief brings together the analyses of mentoring (Q1), teacher training (Q2) and the migrant-enrolment policy (Q3), what each says for next year's plan, and how large a pilot each new action would need. Every estimate carries its 95% interval; table cells of fewer than 10 children are hidden (marked x).

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for exported tables (None: write no files)
LANG = "zh"  # "zh" or "en" (the brief's language); "both" for labels in both
SEED = 0  # bootstrap seed

# %% tags=["no-brief"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from lbc_eval.questions import findings, workplan
from lbc_eval.report import notebook
from lbc_eval.publish.audit import scholarships
from lbc_eval.report.plots import plot_dose_response, plot_event_study

# only the panel columns used here: a province's other columns would only take memory
cohort = notebook.load(DATA, columns=["student_id", "school_id", "township", "grade",
                                      "lb_status", "destination_id", "mentor_role", "talks",
                                      "home_visits", "parent_contacts", "scholarship_yuan",
                                      "moved_to_parents", "exit_reason", "math", "chinese",
                                      "sdq_total", "attendance"])
ev = workplan.evidence(cohort, seed=SEED, reps=999, progress=notebook.progress(LANG))
text_lang = "en" if LANG == "en" else "zh"
rows = ev.findings()
print(notebook.describe(cohort, LANG))
# a province's ICCs come from a random sample of schools: say so, and how large it is
for split in ev.icc.values():
    for note in split.notes:
        if note.startswith("multilevel model fitted on a random sample"):
            print(notebook.said(note, LANG))

# %%
display(Markdown(workplan.findings_markdown(ev, lang=text_lang, rows=rows)))

# %% [markdown] tags=["zh"]
# ## 各项估计及其结论
#
# 每行一个估计：它描述哪些儿童、依赖什么假设、设计检验是否通过，以及按下表规则得出的结论。

# %% [markdown] tags=["en"]
# ## Each estimate and its verdict
#
# One row per estimate: which children it describes, the assumption it needs, whether its design checks passed, and the verdict by the rules in the next table.

# %%
effects = rows.loc[rows["kind"] == "effect", ["question", "measure", "estimate", "conf_low",
                                              "conf_high", "sesoi", "verdict",
                                              f"population_{text_lang}",
                                              f"assumption_{text_lang}",
                                              f"checks_{text_lang}"]]  # fmt: skip
notebook.display_table(effects, LANG, digits=2)

# %%
notebook.display_table(findings.rules_table(ev.outcome_sd, lang=text_lang), LANG, digits=3)

# %% [markdown] tags=["zh"]
# ## 各项措施：依据与试点规模

# %% [markdown] tags=["en"]
# ## Each action: the evidence and the pilot it needs

# %%
notebook.display_table(workplan.actions(ev, lang=text_lang, rows=rows), LANG, digits=2,
                       note=workplan.pilot_pointer(text_lang))

# %%
ax = plot_dose_response(ev.dose, truth=cohort.truth, lang=LANG)
plt.show()

# %%
ax = plot_event_study(ev.policy, truth=cohort.truth, lang=LANG)
plt.show()

# %% [markdown] tags=["zh"]
# ## 助学金：发给留守儿童的比例是否达到 30%

# %% [markdown] tags=["en"]
# ## Scholarships: at least 30% to left-behind children?

# %%
by_year = scholarships(cohort.panel, by="year", k=notebook.K, basis="recipients")
notebook.display_table(by_year[["year", "n_recipients", "n_lb_recipients", "share_lb",
                              "meets_rule"]], LANG, digits=2)

# %% [markdown] tags=["zh"]
# 未达到 30% 的学校和年份。这里只列出是否达到 30%：按学校和年份分列的获助人数和比例，凡涉及少于 10 名儿童的都须按小单元格规则隐藏，因此不在此列出。

# %% [markdown] tags=["en"]
# Schools and years below 30%. Only whether each met the rule is listed: counts and shares by school and year that involve fewer than 10 children must be hidden by the small-cell rule, so they are not shown here.

# %%
rule = scholarships(cohort.panel, k=notebook.K, basis="recipients")
short = rule[rule["meets_rule"].eq(False).fillna(False)]  # NA: no scholarship that year
notebook.display_table(short[["school_id", "year", "meets_rule"]], LANG)

# %% [markdown] tags=["zh"]
# ## 说明
#
# - 结对帮扶的效应比较的是同一名儿童帮扶次数不同的学期；教师培训的效应比较的是同一所学校在不同年份的情况；入学政策的效应比较的是父母务工地实施政策早晚不同的儿童。
# - 试点规模按学校随机分配、80% 检验效能、5% 显著性水平计算，组内相关系数取自本数据（至少 0.02）。

# %% [markdown] tags=["en"]
# ## Notes
#
# - The mentoring effect compares terms of the same child with more or fewer contacts; the training effect compares each school with itself across years; the policy effect compares children whose parents' destinations adopted the policy at different times.
# - Pilot sizes assume schools are randomised, 80% power and a 5% significance level, with the ICC estimated from these data (at least 0.02).
