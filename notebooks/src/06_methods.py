# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 6. 方法检验：估计方法是否可靠？
#
# **问题。** 在教育局采信某个估计之前：在真实效应已知时，这种方法能否找到它？它的 95% 置信区间是否在 95% 的情况下覆盖真实值？
#
# **数据。** 多个合成队列（`small` 预设：12 所学校，约 4,000 名儿童，8 个学期），每个随机种子一个，每个队列都有由生成器抽取的潜在结果算出的真实值；以及 Callaway 和 Sant'Anna（2021）公开的 `mpdta` 面板数据和 R 软件包 `did` 对它公布的估计值。
#
# **方法。** 对每个种子、情形和估计方法，记录估计值、标准误、置信区间，以及相对于区间所要覆盖的真实值的误差。儿童内部和工具变量的帮扶效应，与生成器由潜在结果算出的平均边际效应比较。交错双重差分的置信区间针对的是总体 ATT，而生成器只知道样本 ATT，用样本 ATT 衡量会让任何区间显得比实际更好；因此只在真实值确切的情形（政策没有效应，所有 ATT 都是 0）中评价双重差分的覆盖率，其他情形只列出偏差。汇总指标：偏差和均方根误差（附蒙特卡洛标准误）、平均标准误与估计值实际离散程度的对照、覆盖率、错误拒绝真实零假设的比例，以及设计检验未通过的频率。简单估计方法用来展示它们怎样出错。
#
# **情形。** 生成器的假设成立（**默认**），以及每种设计的薄弱之处：帮扶人在儿童状况差的学期增加帮扶、而帮扶本身没有效应（Q1）；同一务工地的儿童受到共同冲击、而政策没有效应（Q3）；学校的趋势与参加培训同步（Q2）；以及学校只有 8 所而不是 12 所。

# %% [markdown] tags=["en"]
# # 6. Methods: do the estimators recover the truth?
#
# **Question.** Before the bureau relies on an estimate, does the method find the true effect when the truth is known, and do its 95% intervals contain it 95% of the time?
#
# **Data.** Many synthetic cohorts (the `small` preset: 12 schools, about 4,000 children, 8 terms), one per seed, each with its own truth computed from the potential outcomes the generator drew; and the published `mpdta` panel of Callaway & Sant'Anna (2021) with the estimates R `did` publishes for it.
#
# **Method.** For each seed, scenario and estimator: estimate, standard error, interval, and the error against the truth the interval is meant to cover. The within-child and supply-IV dose effects are judged against the average marginal effect the generator computes from its potential outcomes. The staggered DiD's intervals target the population ATT, while the generator knows only the sample ATT, against which any interval looks better than it is; so the DiD is judged where the truth is exact, in scenarios with no policy effect (every ATT is 0), and elsewhere only its bias is shown. Summaries: bias and RMSE with Monte Carlo standard errors, the mean standard error beside the spread of the estimates, coverage, the rejection rate of a true null, and how often a design check failed. Naive estimators show how they fail.
#
# **Scenarios.** The generator's assumptions (*default*), and each design's weak point: mentors who give more contacts in a child's bad term with no true mentoring effect (Q1), shocks shared by the children of one destination with no policy effect (Q3), a school trend that goes with training uptake (Q2), and 8 schools instead of 12.

# %% tags=["parameters"]
DATA = None  # unused: this notebook makes its own synthetic cohorts
OUT = None  # output folder for the table of estimates (None: write no files)
LANG = "zh"  # labels
SEED = 0  # first seed of the study
N_SEEDS = 20  # cohorts simulated under the default scenario
N_STRESS = 10  # cohorts simulated under each other scenario

# %%
from pathlib import Path

import numpy as np
import pandas as pd

from lbc_eval.data import labels
from lbc_eval.questions import methods
from lbc_eval.report import notebook

seeds = range(1000 + SEED, 1000 + SEED + N_SEEDS)
stress = [s for s in methods.SCENARIOS if s != "default"]
study = pd.concat([
    methods.coverage_study(seeds),
    methods.coverage_study(range(2000 + SEED, 2000 + SEED + N_STRESS), scenarios=stress),
], ignore_index=True)
summary = methods.summarise(study)
notebook.display_table(summary[["scenario", "estimator", "estimates", "bias", "bias_mc_se", "rmse",
                                "sd_estimate", "mean_se", "coverage", "coverage_mc_se",
                                "rejects_null", "diagnostics_failed"]], LANG, digits=3)
if OUT:
    study.to_csv(Path(OUT) / "methods_coverage.csv", index=False)

# %% [markdown] tags=["zh"]
# **怎样读这张表。** 下面每一行都由上表对应的一行计算得出：偏差超过 3 个蒙特卡洛标准误时，称为与 0 有可区分的差异；覆盖率与 95% 的差距在 3 个蒙特卡洛标准误以内时，称为与 95% 相符（表有几十行，若用 2 个标准误的标准，每 20 行就会有 1 行仅因偶然被标出）。每种情形的种子较少，这些判断只是粗略的；可以调大 `N_SEEDS` 和 `N_STRESS`（papermill 参数）做更精确的研究。

# %% [markdown] tags=["en"]
# **Reading the table.** Each line below is computed from the row of the table above: a bias is called distinguishable from zero when it exceeds three Monte Carlo standard errors, and coverage consistent with 95% when it lies within three Monte Carlo standard errors of it (with dozens of rows, a two-standard-error rule would flag one row in twenty by chance). With few seeds per scenario these are rough; raise `N_SEEDS` and `N_STRESS` (papermill parameters) for a sharper study.


# %%
english = methods.verdicts(summary)
chinese = methods.verdicts(summary, lang="zh")
for zh, en in zip(chinese, english):
    print(notebook.text(LANG, zh, en))

# %% [markdown] tags=["zh"]
# ## 复现已发表的交错双重差分结果（`mpdta`）

# %% [markdown] tags=["en"]
# ## Replication of the published staggered DiD (`mpdta`)

# %%
replication = methods.mpdta_replication()
notebook.display_table(replication.rename(columns={"group": "cohort_year", "time": "period"}),
                       LANG, digits=4)
same = bool(replication["same_to_4_decimals"].all())
lo, hi = replication["se_ratio"].min(), replication["se_ratio"].max()
pretest = replication.attrs["pretest_p"]
print(notebook.text(
    LANG,
    f"所有 ATT(g,t) 在四位小数上与已发表值一致：{notebook.yes_no(same, 'zh')}\n"
    f"解析标准误 / 已发表的自助法标准误：{lo:.2f} 至 {hi:.2f}\n"
    f"预检验 p 值：{pretest:.3f}（已发表值 0.168）",
    f"every ATT(g,t) equal to 4 decimals: {same}\n"
    f"analytic SE / published bootstrap SE: {lo:.2f} to {hi:.2f}\n"
    f"pre-test p-value: {pretest:.3f} (published 0.168)",
))

# %% [markdown] tags=["zh"]
# ## 这些结果说明了什么，没有说明什么
#
# - 默认情形按构造满足生成器的假设。其他每种情形各打破一项假设；表中显示此时每种估计方法离真实值有多远，「设计检验未通过的比例」一栏显示设计检验有多常察觉到问题。对真实数据，必须在每本笔记中论证这些假设，并阅读各项检验。
# - 覆盖率只针对这样的样本量和设计；学校或学期更少时，请改变预设或参数（`lbc_eval.SynthSpec`）重新检验。

# %% [markdown] tags=["en"]
# ## What this shows, and what it does not
#
# - The default scenario holds the generator's assumptions by construction. The other scenarios break one assumption each; the table shows how far each estimator then is from the truth, and the "design checks failed" column how often its design checks noticed. For real data the assumptions must be argued, and the checks read, in each notebook.
# - Coverage is for this sample size and design; with fewer schools or terms, check again by changing the preset or knobs (`lbc_eval.SynthSpec`).
