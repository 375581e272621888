# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 7. 从计划到试点：随机分配、预先登记、按登记分析
#
# **问题。** 明年工作计划的新措施（扩大结对帮扶、心理辅导优先、信息化家庭教育指导、宣传随迁子女入学政策）有没有效果？现有记录无法回答的，最可靠的办法是随机试点：先把学校按乡镇分层随机分成两组，在试点开始之前把分析方法登记下来（预分析计划，附哈希值），试点学年结束后严格按登记的方法分析。本笔记本在合成数据上把这一流程完整走一遍，并与已知的真实效应比较。
#
# **数据。** 基线学期（队列的最后一个学期）各校的汇总：在读儿童数、留守儿童比例、低收入家庭儿童比例和 SDQ 困难总分均值。随机分配和登记只用这些学校层面的数字，不含任何儿童记录。
#
# **方法。** 分层随机分配，重复随机化直至各协变量的标准化差异绝对值都不超过 0.5（Morgan 与 Rubin 2012）；预分析计划固定结局指标、估计方法、随机种子、最小可检出效应及其全部假设、多重检验和样本流失规则，并计算其 SHA-256 哈希值；分析时估计意向处理效应（控制层固定效应和儿童的基线结果，按学校聚类），主要 p 值和置信区间来自随机化推断（从登记的随机分配程序中重新抽取），CRV1 和野聚类自助法的结果并列。

# %% [markdown] tags=["en"]
# # 7. From plan to pilot: randomise, register, analyse as registered
#
# **Question.** Do next year's new measures (wider mentor pairing, priority counselling, ICT-based family-education guidance, publicising the enrolment policy) work? Where the records cannot tell, a randomised pilot can: schools are randomised to two arms within townships, the analysis is registered before the pilot starts (a pre-analysis plan with its hash), and after the pilot year it is run exactly as registered. This notebook walks the whole loop on synthetic data and compares the result with the known true effect.
#
# **Data.** Each school in the baseline term (the cohort's last): children enrolled, the shares left behind and on low income, and mean SDQ total difficulties. Randomisation and registration use these school-level figures only, never a child's record.
#
# **Method.** Stratified randomisation, re-randomised until every covariate's |standardised difference| is at most 0.5 (Morgan & Rubin 2012); a pre-analysis plan that fixes the outcomes, the estimator, the seed, the minimum detectable effect with every assumption, multiple testing and the attrition rule, with its SHA-256; at analysis, the intention-to-treat effect with stratum fixed effects and the child's baseline outcome, clustered by school, with the primary p-value and interval from randomisation inference (redrawing from the registered procedure), CRV1 and the wild cluster bootstrap beside them.

# %% tags=["parameters"]
DATA = None  # cohort folder (None: the shipped synthetic cohort)
OUT = None  # output folder for the plan (None: write no files)
LANG = "zh"  # "zh", "en" or "both"
SEED = 0  # added to the pilot's seed

# %%
import warnings
from pathlib import Path

import lbc_eval
from lbc_eval import pilot
from lbc_eval.report import notebook

cohort = notebook.load(DATA)
print(notebook.describe(cohort, LANG))
PILOT_SEED = 2025 + SEED  # the assignment's seed, registered in the plan
EFFECT = -0.3  # the synthetic pilot's true effect on SDQ, in SD (negative: fewer difficulties)

# %% [markdown] tags=["zh"]
# ## 1. 随机分配
#
# 学校按乡镇分层；学校少于 2 所的层与最小的其他层合并。每层随机抽取一半学校进入干预组（奇数时多出的一所以 1/2 的概率进入），重复抽取直至下表中每个协变量的标准化差异（两组均值之差 ÷ 全体学校的标准差）绝对值都不超过 0.5。种子、阈值和尝试次数都记录在案，随机化推断从同一程序中重新抽取。阈值不宜过严：只有 12 所学校时，阈值 0.25 只剩 6 种分配可选，随机化推断的 p 值最小也在 0.17 左右，主要检验永远无法拒绝零假设（`assign` 会警告）；阈值 0.5 约剩 80 种。

# %% [markdown] tags=["en"]
# ## 1. Randomisation
#
# Schools are stratified by township; a stratum of fewer than 2 schools is merged with the smallest other. In each stratum half the schools are drawn into the treatment arm (with an odd number, the extra one with probability 1/2), redrawn until every covariate below has |standardised difference| (difference in means ÷ SD over all schools) at most 0.5. The seed, the threshold and the draws tried are recorded; randomisation inference redraws from the same procedure. The threshold must not be too tight: with 12 schools a threshold of 0.25 leaves only 6 assignments, randomisation p-values cannot go below about 0.17 and the primary test could never reject (`assign` warns); 0.5 leaves about 80.

# %%
schools = pilot.school_table(cohort, outcomes=("sdq_total",))
with warnings.catch_warnings():  # few townships: the split's notes say so
    warnings.simplefilter("ignore")
    split = lbc_eval.icc_from_cohort(cohort, outcome="sdq_total", term=schools.attrs["term"])
assignment = pilot.assign(schools, seed=PILOT_SEED, rerandomize=0.5, icc=split)
arms = assignment.table["arm"].value_counts()
tried = assignment.rerandomize["tried"]
mde = assignment.power["mde"]
print(notebook.text(
    LANG,
    f"基线学期 {schools.attrs['term']}：{len(schools)} 所学校，{assignment.table['stratum'].nunique()} 层；"
    f"对照组 {arms['control']} 所，干预组 {arms['treatment']} 所；种子 {PILOT_SEED}，"
    f"尝试 {tried} 次后满足平衡条件。",
    f"Baseline term {schools.attrs['term']}: {len(schools)} schools in "
    f"{assignment.table['stratum'].nunique()} strata; {arms['control']} control, "
    f"{arms['treatment']} treatment; seed {PILOT_SEED}, balanced after {tried} draws.",
))
print(notebook.text(
    LANG,
    f"SDQ 的最小可检出效应：{mde:.3f} 个标准差（80% 检验效能，5% 显著性水平，组内相关系数 "
    f"{assignment.power['icc']:.3f}，每校 {assignment.power['children_per_school']:.0f} 名儿童）。",
    f"MDE on SDQ: {mde:.3f} SD (80% power, 5% level, ICC {assignment.power['icc']:.3f}, "
    f"{assignment.power['children_per_school']:.0f} children per school).",
))
notebook.display_table(assignment.balance, LANG, digits=3)

# %%
notebook.display_table(assignment.table, LANG)

# %% [markdown] tags=["zh"]
# ## 2. 预先登记
#
# 在试点开始之前登记分析方法：主要结局为 SDQ 困难总分，次要结局为出勤率；拟检出效应 0.3 个标准差；随机化推断 999 次；Holm 方法校正多重检验；总流失率不超过 20%，两组流失率之差不超过 5 个百分点。`spec.write(文件夹)` 写出机读规格 `spec.json`（含哈希值）以及中英文计划（Markdown、HTML、Word）。哈希值应在试点开始前公布（如写入会议纪要），分析时据此核对计划是否被改动。

# %% [markdown] tags=["en"]
# ## 2. Registration
#
# The analysis is registered before the pilot starts: primary outcome SDQ total difficulties, secondary attendance; effect of interest 0.3 SD; 999 randomisation draws; Holm across the outcomes; overall attrition at most 20% and a difference between arms of at most 5 points. `spec.write(folder)` writes the machine-readable `spec.json` (with its hash) and the plan in Chinese and English (Markdown, HTML, Word). Publish the hash before the pilot starts (in the minutes, say): the analysis checks the plan against it.

# %%
spec = pilot.plan(assignment, outcome="sdq_total", effect_of_interest=abs(EFFECT),
                  secondary=["attendance"], intervention="counselling", ri_reps=999, reps=999)
power = spec.content["power"]
print(notebook.text(LANG, f"登记哈希值（SHA-256）：{spec.hash}",
                    f"Registration hash (SHA-256): {spec.hash}"))
print(notebook.text(
    LANG,
    f"拟检出 {abs(EFFECT):.2f} 个标准差时的检验效能：{power['power_at_effect']:.0%}",
    f"Power at the effect of interest, {abs(EFFECT):.2f} SD: {power['power_at_effect']:.0%}",
))
if OUT:
    written = spec.write(Path(OUT) / "pilot_plan")
    print(notebook.text(LANG, f"已写入 {written.parent}", f"wrote {written.parent}"))

# %% [markdown] tags=["zh"]
# ## 3. 合成检验：模拟试点学年，按登记分析
#
# 生成器把同一个县（同样的学校和儿童）再运行一个学年：干预组学校的儿童 SDQ 降低 0.3 个基线标准差（`pilot.simulate`），真实的意向处理效应由同一组随机数下“有试点”与“无试点”两个世界之差算出。随后严格按登记的计划分析（`pilot.analyse`），并与真实效应比较。真实数据没有这一步：试点学年的数据到来后直接运行 `pilot.analyse(试点学年的队列, spec)`。

# %% [markdown] tags=["en"]
# ## 3. Synthetic check: simulate the pilot year, analyse as registered
#
# The generator runs the same county (the same schools and children) for one more academic year, the treatment schools' children getting an SDQ 0.3 baseline SD lower (`pilot.simulate`); the true intention-to-treat effect is the difference between the worlds with and without the pilot on the same random draws. The year is then analysed exactly as registered (`pilot.analyse`) and compared with the truth. Real data skip this step: when the pilot year's records arrive, run `pilot.analyse(pilot_year_cohort, spec)`.

# %%
if cohort.truth is None:
    print(notebook.text(LANG, "真实数据：试点学年的数据到来后再分析。",
                        "Real data: analyse when the pilot year's records arrive."))
else:
    synth = lbc_eval.SynthSpec.from_dict(cohort.truth["meta"]["spec"])
    year = pilot.simulate(synth, assignment, effect=EFFECT, baseline=cohort)
    result = pilot.analyse(year, spec)
    truth = year.truth["pilot"]
    print(notebook.text(
        LANG,
        f"真实的意向处理效应（随访学期 {truth['follow_up_term']}）：{truth['itt']:.3f} 分"
        f"（{truth['itt_sd']:.3f} 个标准差）",
        f"True ITT (follow-up term {truth['follow_up_term']}): {truth['itt']:.3f} points "
        f"({truth['itt_sd']:.3f} SD)",
    ))
    shown = result.vs_truth(year.truth)[["outcome", "role", "estimate", "conf_low", "conf_high",
                                         "p_value_ri", "p_value_wild", "p_value_crv1",
                                         "p_adjusted", "estimate_sd", "truth", "covered"]]
    notebook.display_table(shown, LANG, digits=3)

# %% [markdown] tags=["zh"]
# 样本流失（基线学期在随机分配学校就读、9 年级以下的儿童中，随访学期没有 SDQ 记录的比例）与偏离报告（数据或计划与登记不符之处）：

# %% [markdown] tags=["en"]
# Attrition (the share of children enrolled below grade 9 in a randomised school at baseline with no SDQ recorded at follow-up) and the deviation report (wherever the data or the plan differ from what was registered):

# %%
if cohort.truth is not None:
    notebook.display_table(result.tables["attrition"], LANG, digits=3)
    message = "message_en" if LANG == "en" else "message_zh"
    notebook.display_table(result.tables["deviations"][["check", "deviation", message]], LANG)

# %% [markdown] tags=["zh"]
# ## 说明
#
# - 学校越少，即使最好的设计也只能检出越大的效应（本队列的学校数和最小可检出效应见上面的分配与登记结果）；全县学校越多，试点越能回答“有没有效果”。所需学校数见笔记本 5《明年工作计划的证据》的试点规模表。
# - 随机化推断的 p 值和区间不依赖大样本近似，并尊重重复随机化；学校较少时，CRV1 和自助法的区间偏窄（见 `tests/pilot/test_loop.py` 的覆盖率检验）。
# - 命令行：`lbc-eval pilot assign`、`lbc-eval pilot plan`、`lbc-eval pilot analyse`。

# %% [markdown] tags=["en"]
# ## Notes
#
# - The fewer the schools, the larger the smallest effect even the best design can detect (this cohort's number of schools and its MDE are in the assignment and registration above); the more of the county's schools a pilot randomises, the better it can tell whether a measure works. The schools each pilot needs are in the pilot-size table of notebook 5 (the work plan).
# - Randomisation-inference p-values and intervals need no large-sample approximation and respect the re-randomisation; with few schools the CRV1 and bootstrap intervals are too narrow (see the coverage check in `tests/pilot/test_loop.py`).
# - On the command line: `lbc-eval pilot assign`, `lbc-eval pilot plan`, `lbc-eval pilot analyse`.
