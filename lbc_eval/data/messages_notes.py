"""The estimators' English sentences and their Chinese (catalogue: :mod:`lbc_eval.data.messages`).

The estimators and the question functions write their notes, warnings, inference descriptions
(``cov_type``) and design-check messages in English, from the numbers, below the report layer.
Each entry here is one such sentence: the English template exactly as the estimator writes it
(its fields stand for the numbers and names it fills in) and the Chinese. The notebooks show a
result's sentences through :func:`lbc_eval.data.messages.translate`, which reads an English
sentence back into its fields and writes the Chinese; fields that are themselves sentences of
this table (``{how}``, ``{cov}``) are translated too, and ``{name:label}`` fields are shown by
their codebook labels. A sentence the table does not know stays in English
(``tests/report/test_notebook_words.py`` runs the notebooks' estimators and fails on any).

The English side must follow the estimators' f-strings word for word
(:mod:`lbc_eval.estimation`, :mod:`lbc_eval.questions`); its fields carry no format
specification.
"""

from __future__ import annotations

NOTES: dict[str, tuple[str, str]] = {
    # --- rows left out (lbc_eval.estimation.fe) --------------------------------------------------
    "rows_missing": (
        "{total} 行中有 {rows} 行因缺失值未纳入（{by:labels}）",
        "{rows} of {total} rows left out for missing values ({by})",
    ),
    "rows_infinite": (
        "{total} 行中有 {rows} 行因取值为无穷大未纳入（{by:labels}）",
        "{rows} of {total} rows left out for infinite values ({by})",
    ),
    "rows_missing_share": (
        "{total} 行中有 {rows} 行（{share}）有缺失值",
        "{rows} of {total} rows ({share}) have a missing value",
    ),
    "singletons": (
        "{rows} 行单例观测未纳入（其{fes:units}只出现一次，不提供组内变化）",
        "{rows} singleton rows left out (alone in a level of {fes}; they carry no within "
        "variation)",
    ),
    "levels_lost": (
        "有 {levels} 个{fe:unit}没有可用的行（全部缺失或均为单例）",
        "{levels} {fe} levels have no usable row (all missing or singletons)",
    ),
    # --- inference (lbc_eval.estimation.inference) -----------------------------------------------
    "hc1": (
        "异方差稳健（HC1）标准误，未聚类",
        "heteroskedasticity-robust (HC1) standard errors, no clustering",
    ),
    "few_clusters_wild": (
        "只有 {clusters} 个聚类（{names:units}），而聚类稳健 t 检验约需 {need} 个：p 值和置信区间"
        "由野聚类自助法（WCR）得出；标准误为 CRV1",
        "only {clusters} clusters ({names}); cluster-robust t-tests need about {need}: p-values "
        "and intervals come from the wild cluster bootstrap (WCR); std_error is CRV1",
    ),
    "few_clusters_crv1": (
        "只有 {clusters} 个聚类（{names:units}），而聚类稳健 t 检验约需 {need} 个：CRV1 的 p 值"
        "和置信区间可能偏小；可考虑 inference='wild'",
        "only {clusters} clusters ({names}); cluster-robust t-tests need about {need}: CRV1 "
        "p-values and intervals may be too small; consider inference='wild'",
    ),
    "crv1": (
        "按{names:units}聚类的 CRV1 标准误；p 值和置信区间基于 t({df}) 分布",
        "CRV1 standard errors by {names}; t({df}) p-values and intervals",
    ),
    "no_se": (
        "{terms} 没有标准误：双向聚类方差在此不为正（Cameron-Gelbach-Miller 估计量可能失效）；"
        "请改为单向聚类",
        "no standard error for {terms}: the two-way cluster variance is not positive there "
        "(Cameron-Gelbach-Miller's estimator can fail); cluster one way",
    ),
    "wild_rows": (
        "{clusters} 个聚类：p 值和 {level} 置信区间由受限野聚类自助法得出（{weights} 权重，"
        "{draws} 次抽样，种子 {seed}），置信区间由检验反演得到；标准误和统计量为 CRV1",
        "{clusters} clusters: p-values and {level} intervals by the restricted wild cluster "
        "bootstrap ({weights}, {draws} draws, seed {seed}), intervals by test inversion; "
        "std_error and statistic are CRV1",
    ),
    "wild_rows_all": (
        "{clusters} 个聚类：p 值和 {level} 置信区间由受限野聚类自助法得出（{weights} 权重，"
        "{draws} 次抽样，穷举全部符号组合，种子 {seed}），置信区间由检验反演得到；标准误和统计量为"
        " CRV1",
        "{clusters} clusters: p-values and {level} intervals by the restricted wild cluster "
        "bootstrap ({weights}, {draws} draws, all sign vectors, seed {seed}), intervals by test "
        "inversion; std_error and statistic are CRV1",
    ),
    "wild_keep_crv1": (
        "{terms} 行仍用 CRV1 t({df}) 推断",
        "rows {terms} keep CRV1 t({df}) inference",
    ),
    "cov_wild": (
        "按{cluster:unit}聚类的野聚类自助法（WCR，{weights} 权重，{draws} 次抽样）；标准误为 CRV1",
        "wild cluster bootstrap (WCR, {weights}, {draws} draws) by {cluster}; std_error CRV1",
    ),
    "cov_wild_all": (
        "按{cluster:unit}聚类的野聚类自助法（WCR，{weights} 权重，穷举全部 {draws} 种符号组合）；"
        "标准误为 CRV1",
        "wild cluster bootstrap (WCR, {weights}, all {draws} draws) by {cluster}; std_error CRV1",
    ),
    "cov_wild_plain": (
        "按{cluster:unit}聚类的野聚类自助法（WCR，{weights} 权重，{draws} 次抽样）",
        "wild cluster bootstrap (WCR, {weights}, {draws} draws) by {cluster}",
    ),
    "cov_crv1": ("按{names:units}聚类的 CRV1", "CRV1 by {names}"),
    "cov_crv1_two_way": ("按{names:units}双向聚类的 CRV1", "CRV1 two-way by {names}"),
    "cov_2sls": ("两阶段最小二乘（2SLS），按{names:units}聚类的 CRV1", "2SLS, CRV1 by {names}"),
    "wild_bootstrap": ("野聚类自助法", "wild cluster bootstrap"),
    "multiplier": (
        "乘数自助法（按{where}抽取 {draws} 次 {weights} 权重）；{level}% 联合置信带",
        "multiplier bootstrap ({draws} {weights} draws over {where}); simultaneous {level}% band",
    ),
    "multiplier_t": (
        "乘数自助法（按{where}抽取 {draws} 次 {weights} 权重）；{level}% 联合置信带，不窄于 "
        "t({df}) 区间；逐点推断以 t({df}) 分布为参照",
        "multiplier bootstrap ({draws} {weights} draws over {where}); simultaneous {level}% "
        "band, no narrower than the t({df}) one; t({df}) reference (pointwise)",
    ),
    "analytic": ("影响函数（解析式，按{where}）", "influence function (analytic, over {where})"),
    "analytic_t": (
        "影响函数（解析式，按{where}）；逐点推断以 t({df}) 分布为参照",
        "influence function (analytic, over {where}); t({df}) reference (pointwise)",
    ),
    "over_clusters": ("聚类", "clusters"),
    "over_units": ("单位", "units"),
    # --- Q1: mentoring (lbc_eval.questions.mentoring, dose_fits, mentoring_checks) -------------
    "dose_design": (
        "剂量：第 t 学期的{dose:labels}；结果：第 t+{lag} 学期的{outcome:label}；{sample}；"
        "儿童和学期固定效应；第 t+{lag} 学期的控制变量：{controls:labels}",
        "dose: {dose} in term t; outcome {outcome} in term t+{lag}; {sample}; child and term "
        "fixed effects; controls at t+{lag}: {controls}",
    ),
    "mentored_terms": ("样本为已结对儿童的学期", "mentored child-terms"),
    "all_terms": ("样本为全部儿童学期", "all child-terms"),
    "no_controls": ("无", "none"),
    "smooth_curve": (
        "平滑曲线：{how}；平均边际效应按第 t+{lag} 学期在读的 {terms} 个儿童学期计算",
        "smooth curve: {how}; AME over {terms} child-terms enrolled at t+{lag}",
    ),
    "natural_spline": ("自然三次样条，节点 {knots}", "natural cubic spline, knots {knots}"),
    "saturation": ("饱和曲线 1 - exp(-c/{scale})", "saturation 1 - exp(-c/{scale})"),
    "saturation_profiled": (
        "饱和曲线 1 - exp(-c/{scale})（c0 由最小二乘选定；区间以其为条件）",
        "saturation 1 - exp(-c/{scale}) (c0 chosen by least squares; intervals conditional on it)",
    ),
    "naive_fit": (
        "简单比较：只含学期效应的混合横截面回归（{obs} 个观测）",
        "naive: pooled cross-section with term effects only ({obs} obs)",
    ),
    "curve_band": ("曲线置信带：逐点 CRV1 区间", "curve band: pointwise CRV1 intervals"),
    "truth_scope": (
        "与真实值比较：合成数据的真实值针对全部帮扶次数、滞后 1 学期、已结对学期",
        "vs_truth: the synthetic truth is for all contacts, lag 1, mentored terms",
    ),
    "iv_not_computed": ("未计算工具变量检验：{why}", "supply-IV check not computed: {why}"),
    "iv_rows": (
        "平均边际效应：儿童内部两阶段最小二乘（2SLS）估计的平滑曲线平均边际效应，"
        "曲线基函数以供给预测的帮扶次数的基函数为工具变量（供给为同一{cluster:unit}同一学期其他已结对儿童的留一平均帮扶"
        "次数；第一阶段 F = {f}）；工具变量线性斜率：线性 2SLS 斜率（曲线各处斜率的供给加权平均，"
        "曲线弯曲时不等于平均边际效应）；按{cluster:unit}聚类的 CRV1，"
        "p 值和置信区间基于 t({df}) 分布"
        "（2SLS 不用野自助法）；{obs} 个观测",
        "ame: AME of the smooth curve by 2SLS within children, its basis instrumented by the "
        "basis of the dose predicted by the supply (the leave-one-out mean dose of the other "
        "mentored children of the same {cluster} that term; first-stage F {f}); slope_iv: the "
        "linear 2SLS slope (a supply-weighted average of the curve's slopes, not the AME when "
        "the curve bends); CRV1 by {cluster} with t({df}) p-values and intervals (no wild "
        "bootstrap for 2SLS); {obs} obs",
    ),
    "iv_rows_few": (
        "平均边际效应：儿童内部两阶段最小二乘（2SLS）估计的平滑曲线平均边际效应，"
        "曲线基函数以供给预测的帮扶次数的基函数为工具变量（供给为同一{cluster:unit}同一学期其他已结对儿童的留一平均帮扶"
        "次数；第一阶段 F = {f}）；工具变量线性斜率：线性 2SLS 斜率（曲线各处斜率的供给加权平均，"
        "曲线弯曲时不等于平均边际效应）；按{cluster:unit}聚类的 CRV1，"
        "p 值和置信区间基于 t({df}) 分布"
        "（2SLS 不用野自助法）：只有 {clusters} 个聚类，区间可能偏窄；{obs} 个观测",
        "ame: AME of the smooth curve by 2SLS within children, its basis instrumented by the "
        "basis of the dose predicted by the supply (the leave-one-out mean dose of the other "
        "mentored children of the same {cluster} that term; first-stage F {f}); slope_iv: the "
        "linear 2SLS slope (a supply-weighted average of the curve's slopes, not the AME when "
        "the curve bends); CRV1 by {cluster} with t({df}) p-values and intervals (no wild "
        "bootstrap for 2SLS): with {clusters} clusters they may be too narrow; {obs} obs",
    ),
    "iv_few_clusters": (
        "只有 {clusters} 个聚类（{cluster:unit}）：工具变量估计的各行使用 CRV1 t({df})，可能过度"
        "拒绝",
        "only {clusters} clusters ({cluster}): the supply-IV rows use CRV1 t({df}), which may "
        "over-reject",
    ),
    "lead_ok": (
        "下学期的帮扶次数不能预测本期结果（每次帮扶的系数 {coef}，p = {p}，{how}）：没有迹象表明"
        "帮扶是对儿童状况变差的反应",
        "next term's contacts do not predict this pair's outcome (coefficient {coef} per "
        "contact, p = {p}, {how}): no sign that contacts respond to children's bad terms",
    ),
    "lead_failed": (
        "下学期的帮扶次数能够预测本期结果（每次帮扶的系数 {coef}，t = {t}，p = {p}，{how}）：帮扶"
        "是对儿童状况变差的反应（或在同一学期内就起作用），因此儿童内部估计有偏；请改用 "
        "method='supply_iv'，或把儿童内部估计视为不可信",
        "next term's contacts predict this pair's outcome (coefficient {coef} per contact, "
        "t = {t}, p = {p}, {how}): contacts respond to children's bad terms (or act within the "
        "same term), so the within estimate is biased; prefer method='supply_iv' or treat the "
        "within estimate as not credible",
    ),
    "lead_not_computed": (
        "无法计算前导检验：{error}",
        "the lead check could not be computed: {error}",
    ),
    "first_stage_ok": (
        "学校学期的帮扶供给明显影响儿童的帮扶次数（第一阶段 F = {f}，聚类稳健；曲线各第一阶段的 F"
        " 至少为 {f_curve}；阈值 {threshold}）",
        "school-term supply moves children's contacts strongly (first-stage F = {f}, "
        "cluster-robust; the curve's first stages at least {f_curve}; threshold {threshold})",
    ),
    "first_stage_weak": (
        "学校学期的帮扶供给几乎不影响儿童的帮扶次数（第一阶段 F = {f}，曲线各第一阶段的 F 最低为 "
        "{f_curve}；阈值 {threshold}）：工具变量估计有弱工具变量偏误，偏向儿童内部估计，其区间"
        "不可靠",
        "school-term supply barely moves children's contacts (first-stage F = {f}, the "
        "curve's first stages down to {f_curve}; threshold {threshold}): the supply-IV estimate "
        "is weak-instrument biased towards the within one and its interval is unreliable",
    ),
    "iv_agrees": (
        "儿童内部估计与工具变量估计在不确定性范围内一致（差值 {diff}，标准误 {se}）",
        "the within and supply-IV estimates agree within their uncertainty (difference {diff}, "
        "SE {se})",
    ),
    "iv_differs": (
        "儿童内部估计与工具变量估计相差 {diff}（标准误 {se}，t = {t}）：除供给外，还有别的因素在"
        "改变同一儿童的帮扶次数（例如帮扶人员对儿童状况变差作出反应）；儿童内部估计不可信，请改用"
        " method='supply_iv'",
        "the within estimate differs from the supply-IV estimate by {diff} (SE {se}, t = {t}): "
        "something other than supply moves contacts within children (e.g. mentors responding "
        "to bad terms); the within estimate is not credible, prefer method='supply_iv'",
    ),
    "iv_failed": (
        "无法计算工具变量估计：{why}",
        "the supply-IV estimate could not be computed: {why}",
    ),
    # --- Q2: teacher training (lbc_eval.questions.training, training_checks) -----------------
    "training_design": (
        "暴露变量：儿童所在学校当学年的{treatment:label}；学校和年份固定效应；简单比较：只含年份"
        "效应",
        "exposure {treatment} of the child's school in the academic year; school and year "
        "fixed effects; naive: year effects only",
    ),
    "multilevel": (
        "多层模型（{term} 学期，{children} 名儿童）：组内相关系数 学校 {school}，班级 {klass}",
        "multilevel model on term {term} ({children} children): ICC school {school}, class {klass}",
    ),
    "multilevel_warning": ("多层模型：{message}", "multilevel model: {message}"),
    "multilevel_sample": (  # lbc_eval.estimation.multilevel: a province's children
        "多层模型在随机抽取的 {sampled} 所学校（共 {schools} 所，{cluster:label}）上估计："
        "{kept} 名儿童（共 {children} 名），随机种子 {seed}；儿童超过 {limit} 名时，用全部儿童"
        "估计需要数小时",
        "multilevel model fitted on a random sample of {sampled} of {schools} schools "
        "({cluster}): {kept} of {children} children, seed {seed}; above {limit} children a fit "
        "on every child would take hours",
    ),
    "schools_too_few": (
        "只有 {schools} 所学校（聚类）：效应只能从这么少的学校内部的变化中识别，估计非常不精确；"
        "请看置信区间而不是点估计，也不要仅凭它做决定（至少需要 {least} 所学校）",
        "only {schools} schools (clusters): the effect is identified from changes within so few "
        "schools that estimates are very imprecise; read the interval, not the point, and do "
        "not act on it alone (at least {least} schools are needed)",
    ),
    "schools_wild": (
        "{schools} 所学校（聚类）：学校少于 {few} 所时聚类稳健 t 检验会过度拒绝，因此用野聚类自助法"
        "推断（p 值和置信区间）",
        "{schools} schools (clusters): below {few} schools cluster-robust t-tests over-reject, "
        "so inference uses the wild cluster bootstrap (p-values and intervals)",
    ),
    "schools_crv1_few": (
        "{schools} 所学校（聚类）：学校少于 {few} 所时聚类稳健 t 检验会过度拒绝，因此 CRV1 的 p 值"
        "和置信区间可能偏小（inference='wild' 会改用野聚类自助法）",
        "{schools} schools (clusters): below {few} schools cluster-robust t-tests over-reject, "
        "so CRV1 p-values and intervals may be too small (inference='wild' would use the wild "
        "cluster bootstrap)",
    ),
    "schools_crv1": (
        "{schools} 所学校（聚类）：CRV1 标准误，p 值和置信区间基于 t({df}) 分布",
        "{schools} schools (clusters): CRV1 standard errors, t({df}) p-values and intervals",
    ),
    "training_lead_ok": (
        "在控制学校和年份效应后，下一学年的{treatment:label}不能预测本学年的{outcome:label}（系数 "
        "{coef}，标准误 {se}，{how} p = {p}）：没有迹象表明学校自身的趋势与参加培训相关",
        "next year's {treatment} does not predict this year's {outcome} given school and year "
        "effects (coefficient {coef}, SE {se}, {how} p = {p}): no sign of a school trend "
        "correlated with training uptake",
    ),
    "training_lead_failed": (
        "在控制学校和年份效应后，下一学年的{treatment:label}能够预测本学年的{outcome:label}（系数 "
        "{coef}，标准误 {se}，{how} p = {p}）：较晚（或较早）参加培训的学校本来就在以不同的速度"
        "进步，学校固定效应估计很可能混入了学校自身的趋势；不要把它当作培训的效应",
        "next year's {treatment} predicts this year's {outcome} given school and year effects "
        "(coefficient {coef}, SE {se}, {how} p = {p}): schools that train later (or earlier) "
        "were already improving differently, so the school-effects estimate likely mixes "
        "training with the schools' own trends; do not read it as the effect of training",
    ),
    "training_lead_not_computed": (
        "未计算：无法检验下一学年的{treatment:label}（{error}）；暴露数据不足三年时，无法检查学校"
        "各自的趋势",
        "not computed: next year's {treatment} cannot be tested ({error}); with fewer than "
        "three years of exposure, school-specific trends cannot be checked",
    ),
    # --- Q3: the enrolment policy (lbc_eval.estimation.did, questions.enrolment) ------------
    "unbalanced": (
        "非平衡面板：{units} 个单位中有 {missing} 个缺少某些时期；ATT(g,t) 用重复截面估计量估计，"
        "影响函数按单位加总（同 R 包 did 的 allow_unbalanced_panel）",
        "unbalanced panel: {missing} of {units} units miss some period; ATT(g,t) by the "
        "repeated-cross-section estimator, influence functions summed by unit (as did's "
        "allow_unbalanced_panel)",
    ),
    "balanced_dropped": (
        "{units} 个单位中有 {missing} 个缺少某些时期，为平衡面板已删除（同 R 包 did）；传 "
        "allow_unbalanced_panel=True 可保留",
        "{missing} of {units} units miss some period and were dropped to balance the panel (as "
        "did); pass allow_unbalanced_panel=True to keep them",
    ),
    "did_rows_left_out": (
        "{rows} 行的结果、时间、单位、权重、聚类或协变量缺失或为无穷大，未纳入",
        "{rows} rows with a missing or infinite outcome, time, unit, weight, cluster or "
        "covariate were left out",
    ),
    "did_group_missing": (
        "{rows} 行的 {group} 缺失，视为从未实施（R 包 did 会删除这些行）",
        "{rows} rows with a missing {group} are taken as never treated (R did drops them)",
    ),
    "did_group_late": (
        "{rows} 行属于在最后一期之后才首次实施的单位（{groups}），同 R 包 did 一样视为从未实施",
        "{rows} rows of units first treated after the last period ({groups}) are taken as "
        "never treated, as did does",
    ),
    "small_cluster": (
        "聚类较少：每个 ATT(g,t) 的处理组和对照组影响函数乘以 1/sqrt(1 - h)，h 为该聚类在其一侧"
        "所占的份额（聚类方差的 CR2 校正；G 个等大聚类时为 sqrt(G/(G-1))）",
        "few clusters: each ATT(g,t)'s treated and comparison influence functions are scaled by "
        "1/sqrt(1 - h), h the cluster's share of its side (CR2 correction of the clustered "
        "variance; sqrt(G/(G-1)) for G equal clusters)",
    ),
    "cell_missing": ("ATT({g},{t}) 无法估计：{why}", "ATT({g},{t}) not estimable: {why}"),
    "cell_units": (
        "处理组 {treated} 个单位，对照组 {control} 个单位",
        "{treated} treated and {control} control units",
    ),
    "small_groups": (
        "部分组别的单位很少，其 ATT(g,t) 不稳定：{groups}",
        "small groups, with few units for their ATT(g,t): {groups}",
    ),
    "pretest_sup_t": (
        "检验全部 {k} 个处理前 ATT(g,t) 均为零的自助法 sup-t 检验（{draws} 次抽样）：{result}",
        "bootstrap sup-t test that all {k} pre-treatment ATT(g,t) are zero ({draws} draws): "
        "{result}",
    ),
    "pretest_wald": (
        "检验全部 {k} 个处理前 ATT(g,t) 均为零的 Wald 检验（卡方）：{result}",
        "Wald test that all {k} pre-treatment ATT(g,t) are zero (chi2): {result}",
    ),
    "pretest_average": (
        "检验各组平均的处理前效应（{k} 个 ATT(g,t)）为零的自助法检验（{draws} 次抽样）：{result}",
        "bootstrap test ({draws} draws) that the group-averaged pre-treatment effect ({k} "
        "ATT(g,t)) is zero: {result}",
    ),
    "pretest_randomised": (
        "对各组平均的处理前效应做随机化推断（在务工地之间置换实施时间 {perms} 次）：{result}",
        "randomisation inference ({perms} permutations of the adoption terms across "
        "destinations) on the group-averaged pre-treatment effect: {result}",
    ),
    "pretest_singular": (
        "未计算预检验：处理前时期的协方差矩阵奇异",
        "the pre-test was not computed: the pre-period covariance is singular",
    ),
    "not_rejected": ("未拒绝", "not rejected"),
    "rejected": (
        "在 {alpha} 水平上被拒绝；平行趋势存疑",
        "rejected at {alpha}; parallel trends in doubt",
    ),
    "destinations_adopting": (
        "{destinations} 个务工地中有 {adopting} 个在面板期间实施了政策",
        "{adopting} of {destinations} destinations adopt within the panel",
    ),
    "destinations_too_few": (
        "{destinations} 个务工地中有 {adopting} 个在面板期间实施了政策；少于 {least} 个：效应只"
        "依赖少数几个务工地及其冲击，推断很脆弱",
        "{adopting} of {destinations} destinations adopt within the panel; fewer than {least}: "
        "the effects rest on a handful of destinations and their shocks, and the inference is "
        "fragile",
    ),
    "attrition": (
        "样本流失与政策有关：随父母迁出本县的儿童会离开面板。“随父母迁居”一直把他们记为已迁居；"
        "成绩、SDQ 和出勤率只能在仍在本县就读的儿童中观测到，因此对这些结果的效应描述的是留下的"
        "儿童（包括迁到县城的儿童）。",
        "attrition depends on the policy: children who move out of the county with their "
        "parents leave the panel. 'moved' carries them forward as moved; scores, SDQ and "
        "attendance are observed only for children still enrolled in the county, so effects on "
        "them describe the children who stay (including those who moved to the county seat).",
    ),
    "inference_by": (
        "按{cluster:unit}聚类推断（{clusters} 个聚类）：{cov}",
        "inference clustered by {cluster} ({clusters} clusters): {cov}",
    ),
    "inference_by_few": (
        "按{cluster:unit}聚类推断（{clusters} 个聚类）：{cov}；聚类少于 {few} 个时，每个 "
        "ATT(g,t) 及其汇总都由按聚类的自助法得出，p 值和置信区间基于 t({df}) 分布且不窄于 t 区间，"
        "预检验（各组平均的处理前效应）采用{pretest}",
        "inference clustered by {cluster} ({clusters} clusters): {cov}; with fewer than {few} "
        "clusters every ATT(g,t) and aggregation comes from the bootstrap over clusters, with "
        "t({df}) p-values and intervals at least as wide as the t ones, and the pre-test "
        "(group-averaged pre-treatment effect) from {pretest}",
    ),
    "randomisation": (
        "对各务工地实施时间的随机化推断",
        "randomisation inference over the destinations' adoption terms",
    ),
    "bootstrap_clusters": ("按聚类的自助法", "the bootstrap over clusters"),
    "inference_by_child": (
        "按儿童聚类推断，但政策在 {destinations} 个务工地先后实施：若存在务工地层面的冲击，置信"
        "区间和检验会过窄",
        "inference clustered by child, although adoption varies across {destinations} "
        "destinations: with destination-level shocks the intervals and tests are too narrow",
    ),
    "policy_cells": (
        "ATT(g,t) 描述{population}在第 t 学期的效应，g 为实施年份；.summary() 把简单 ATT"
        "（所有处理后儿童学期的平均）与动态总体效应（按实施后学期数的平均）并列",
        "ATT(g,t) describe {population} (g), in term t; .summary() sets the simple ATT "
        "(average over treated child-terms) beside the dynamic overall (average over terms "
        "since adoption)",
    ),
    "policy_population": (
        "第一学期时的留守儿童（按父母务工地实施政策的年份分组）",
        "children left behind in the first term, by the year their parents' destination adopted",
    ),
    "estimand": ("估计目标：{population}：{what}", "estimand: {population}: {what}"),
    "estimand_plain": ("估计目标：{what}", "estimand: {what}"),
    "estimand_simple": (
        "简单 ATT = 窗口内所有处理后{units}-时期的平均效应：处理后各 ATT(g,t) 按组规模加权，因此"
        "较早实施的组（实施后观测的时期更多）权重更大",
        "simple ATT = the average effect over every treated {units}-period in the window: the "
        "post-treatment ATT(g,t) weighted by group size, so groups treated earlier (observed "
        "for more periods after adoption) count for more",
    ),
    "estimand_dynamic": (
        "动态效应 = 实施后第 e 期的效应，对在第 e 期有观测的各组按规模平均；其总体效应 = 对各事件"
        "时间 e ≥ 0 的简单平均，每种暴露时长同等计权（最长的暴露时长只依赖最早实施的组）",
        "dynamic = the effect e periods after adoption, averaged over the groups observed at e "
        "(by size); its overall = the plain average over event times e >= 0, each length of "
        "exposure counting equally (the longest exposures rest on the earliest groups alone)",
    ),
    "estimand_group": (
        "分组效应 = 各组在其处理后各期的平均效应；总体效应 = 按组规模加权的平均（每个处理过的"
        "{units}只计一次）",
        "group = each group's average effect over its post-treatment periods; overall = their "
        "average weighted by group size (every treated {units} counts once)",
    ),
    "estimand_calendar": (
        "按时期效应 = 每一期中截至当时已实施各组的效应；总体效应 = 各期的简单平均",
        "calendar = the effect in each period on the groups treated by then; overall = the "
        "plain average over periods",
    ),
    "unit_child": ("儿童", "child"),
    "twfe": (
        "双向固定效应：在分批实施且效应随时间变化或因组而异时有偏；仅作对照",
        "two-way fixed effects: biased under staggered adoption with dynamic or heterogeneous "
        "effects; shown for contrast",
    ),
    # --- the pilot's assignment (lbc_eval.pilot.assign, lbc_eval.pilot.sizing) ------------------
    "pilot_merged": ("合并了学校过少的层：{merged}", "merged strata: {merged}"),
    "pilot_few_assignments": (
        "该随机化程序大约只能产生 {distinct} 种不同的分配：随机化推断的 p 值难以低于 {floor}，"
        "因此试点的主要检验在 {alpha} 的水平上可能永远无法拒绝原假设；"
        "请增加学校或放宽重复随机化的阈值",
        "the procedure makes only about {distinct} different assignments: the randomisation "
        "p-value cannot fall much below {floor}, so the pilot's primary test may never reject "
        "at {alpha}; add schools or loosen the re-randomisation threshold",
    ),
    "pilot_balance_missing": (
        "{column:label}在 {schools} 所学校缺失：以其他学校的均值代替（仅用于平衡检验）",
        "{column} missing for {schools} school(s): set to the mean of the others (for balance "
        "only)",
    ),
    "pilot_large_mde": (
        "本设计的最小可检出效应为 {mde} 个标准差，超过上限 {bound}（{schools} 所学校，每校 "
        "{size} 名儿童，组内相关系数 {icc}，检验效能 {power}，显著性水平 {alpha}）；"
        "仍按 allow_large_mde 进行了随机分配",
        "the design's MDE is {mde} SD, above the bound max_mde = {bound} SD ({schools} schools, "
        "{size} children per school, ICC {icc}, power {power}, alpha {alpha}); randomised anyway "
        "(allow_large_mde)",
    ),
    "pilot_attrition": (
        "样本流失率总体为 {overall}（上限 {max_overall}），"
        "干预组减对照组为 {diff}（上限 ±{max_diff}）",
        "attrition {overall} overall (at most {max_overall}), treatment minus control {diff} "
        "(at most ±{max_diff})",
    ),
    "pilot_attrition_none": (
        "未计算样本流失：没有基线学期、学生编号或结果变量列",
        "not computed: no baseline term, no student_id or no outcome column",
    ),
    # --- the pilot's errors (lbc_eval.pilot) ------------------------------------------------------
    # What the pilot's functions say when an argument is refused (SpecError, EstimationError);
    # the command line writes them in its --lang (lbc_eval.cli.lang.error_text).
    "pilot_not_one_of": (
        "{value} 不是可选的值（可选：{allowed}）",
        "{value} is not one of {allowed}",
    ),
    "pilot_not_among": ("{values} 不是可选的值（可选：{allowed}）", "{values} not among {allowed}"),
    "pilot_need_school_table": (
        "需要一张含 school_id 列的学校表（可用 pilot.school_table 生成）",
        "need a table with a school_id column (pilot.school_table)",
    ),
    "pilot_arms": (
        "须为两个不同的组名（先对照组，后干预组），而不是 {arms}",
        "two different names (control, treatment), not {arms}",
    ),
    "pilot_seed": ("须为不小于 0 的整数，而不是 {seed}", "a whole number >= 0, not {seed}"),
    "pilot_threshold": (
        "重复随机化的阈值须为正数，而不是 {threshold}",
        "a positive threshold, not {threshold}",
    ),
    "pilot_duplicate_schools": (
        "有 {count} 个学校代码重复出现；每所学校只能占一行",
        "{count} school_id(s) appear twice; one row a school",
    ),
    "pilot_balance_unknown": (
        "balance_on：学校表中没有列 {columns}；学校表的列有：{has}",
        "balance_on: no column(s) {columns} in the school table; it has {has}",
    ),
    "pilot_balance_empty": (
        "{column} 在所有学校都缺失或不是数值；请把它从平衡协变量中去掉",
        "{column} is missing or not a number for every school; leave it out",
    ),
    "pilot_open_unit": (
        "须在 0 与 1 之间（不含端点），而不是 {value}",
        "must be strictly between 0 and 1, not {value}",
    ),
    "pilot_below_one": ("须不小于 0 且小于 1，而不是 {value}", "must be in [0, 1), not {value}"),
    "pilot_up_to_one": (
        "须大于 0 且不超过 1，而不是 {value}",
        "must be in (0, 1], not {value}",
    ),
    "pilot_share": (
        "须为 0 与 1 之间的比例，而不是 {value}",
        "a share between 0 and 1, not {value}",
    ),
    "pilot_positive": ("须为正数，而不是 {value}", "must be positive, not {value}"),
    "pilot_not_negative": ("须不小于 0，而不是 {value}", "must be 0 or more, not {value}"),
    "pilot_icc_sum": (
        "icc 与 icc_top 之和须小于 1（儿童个体之间也必须有差异）",
        "icc + icc_top must be below 1 (children must vary too)",
    ),
    "pilot_size_not_used": (
        "不适用于 {design} 设计（该设计使用 {sizes}）",
        "does not apply to the {design} design (it uses {sizes})",
    ),
    "pilot_size_missing": (
        "{design} 设计需要给出 {sizes}；缺少 {name}",
        "the {design} design needs {sizes}; {name} is missing",
    ),
    "pilot_individual_icc": (
        "按个体随机分配的设计不涉及组内相关系数；请将其保持为 0",
        "an individually randomised design has no ICC; leave it at 0",
    ),
    "pilot_no_third_level": (
        "cluster2 设计只有两个层级，没有第三个层级；请改用 design='cluster3'",
        "the cluster2 design has no third level; use design='cluster3'",
    ),
    "pilot_no_df": (
        "自由度只剩 {df}（随机分配的单位数 - 协变量个数 - 2）；请增加随机分配的单位",
        "leaves {df} degrees of freedom (randomised units - covariates - 2); randomise more units",
    ),
    "pilot_solve_one": (
        "effect、power、{sizes} 中须恰好有一个为 None，即要求解的量（{design} 设计）；"
        "现在为 None 的是：{missing}",
        "exactly one of effect, power, {sizes} must be None (the {design} design); missing: "
        "{missing}",
    ),
    "pilot_solve_none": (
        "effect、power、{sizes} 中须恰好有一个为 None，即要求解的量（{design} 设计）；"
        "现在没有一个为 None",
        "exactly one of effect, power, {sizes} must be None (the {design} design); missing: none",
    ),
    "pilot_zero_effect": (
        "效应为 0 无法检出；请给出一个正的效应",
        "an effect of 0 cannot be detected; give a positive effect",
    ),
    "pilot_size_too_large": (
        "即使 {unknown} 达到 {max_size}，最小可检出效应仍为 {mde} 个标准差，高于效应 {effect} "
        "个标准差；请改为在另一个层级上增加单位",
        "even {max_size} {unknown} give an MDE of {mde} SD, above the effect {effect} SD; add "
        "units at another level instead",
    ),
    "pilot_acceptable_draws": (
        "在 {tried} 个候选分配中只有 {have} 个满足阈值（需要 {reps} 个）：重复随机化的阈值 "
        "{threshold} 能接受的分配太少；请放宽阈值或减少平衡协变量",
        "only {have} of {reps} acceptable draws in {tried} candidates: the threshold "
        "{threshold} accepts too few assignments",
    ),
    "pilot_effect_of_interest": (
        "须为不等于 0 的效应（以结局指标的标准差为单位）",
        "a non-zero effect in SD of the outcome",
    ),
    "pilot_multiple_testing": (
        "须为 'holm' 或 'romano-wolf'，而不是 {value}",
        "'holm' or 'romano-wolf', not {value}",
    ),
    "pilot_ri_reps": (
        "随机化推断至少需要抽取 99 次，而不是 {value}",
        "at least 99 randomisation draws, not {value}",
    ),
    "pilot_baseline_term": (
        "请写明基线学期（例如 '2024-2'）",
        "name the baseline term (e.g. '2024-2')",
    ),
    "pilot_follow_up_term": (
        "随访学期 {follow} 不在基线学期 {baseline} 之后",
        "{follow} is not after the baseline term {baseline}",
    ),
    "pilot_finite_effect": (
        "须为有限的效应值（以标准差为单位），而不是 {value}",
        "a finite effect in SD, not {value}",
    ),
    "pilot_assignment_term": (
        "该分配基于 {term} 学期的数据抽取，但该县的基线学期是 {baseline}",
        "drawn on term {term}, but the county's baseline is {baseline}",
    ),
    "pilot_analyse_data": (
        "analyse 需要一个队列（Cohort）或面板数据表（DataFrame）",
        "analyse needs a Cohort or a panel DataFrame",
    ),
    "pilot_panel_columns": (
        "面板数据须有 term 和 school_id 两列",
        "the panel needs term and school_id columns",
    ),
    "pilot_icc_design": (
        "design 须为 individual、cluster2 或 cluster3，而不是 {design}",
        "design must be individual, cluster2 or cluster3, not {design}",
    ),
    "pilot_icc_columns": (
        "icc_from_cohort：数据中没有列 {columns}",
        "icc_from_cohort: no column(s) {columns} in data",
    ),
    "pilot_icc_outcome_missing": (
        "icc_from_cohort：{outcome:label}在所有行都缺失",
        "icc_from_cohort: {outcome} is missing in every row",
    ),
    "pilot_icc_no_child": (
        "icc_from_cohort：{term} 学期没有哪个儿童同时有{outcome:label}和全部控制变量"
        "（{controls:labels}）的数据；请换一个学期",
        "icc_from_cohort: no child in term {term} has {outcome} and all of {controls}; choose "
        "another term",
    ),
    "pilot_icc_no_child_plain": (
        "icc_from_cohort：{term} 学期没有哪个儿童有{outcome:label}的数据；请换一个学期",
        "icc_from_cohort: no child in term {term} has {outcome} and all of no controls; choose "
        "another term",
    ),
    "pilot_school_table_columns": (
        "school_table：面板数据中没有列 {columns}",
        "school_table: no column(s) {columns} in the panel",
    ),
    "pilot_school_table_outcomes": (
        "school_table：{values} 不是可选的结局指标（可选：{allowed}）",
        "school_table: {values} not among {allowed}",
    ),
    "pilot_school_table_no_term": (
        "school_table：面板数据中没有学期",
        "school_table: the panel has no term",
    ),
    "pilot_school_table_term": (
        "school_table：面板数据中没有 {term} 学期（现有学期：{terms}）",
        "school_table: term {term} is not in the panel (terms: {terms})",
    ),
}
