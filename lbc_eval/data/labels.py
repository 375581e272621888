"""Display labels in Chinese and English, from one place: codebook columns and the kit's own keys.

Examples
--------
>>> from lbc_eval.data import labels
>>> labels.label("talks", "zh"), labels.label("talks", "en"), labels.label("talks", "both")
('谈心次数', 'Heart-to-heart talks', '谈心次数 Heart-to-heart talks')
"""

from __future__ import annotations

from typing import Literal

from lbc_eval.data import codebook

Lang = Literal["zh", "en", "both"]
LANGS: tuple[str, ...] = ("zh", "en", "both")

#: Labels that are not codebook columns, in both languages.
_TEXT: dict[str, tuple[str, str]] = {
    "contacts": ("每学期帮扶次数", "Mentoring contacts per term"),
    "dose_response": ("帮扶次数与下学期结果", "Contacts and next-term outcome"),
    "effect": ("效应", "Effect"),
    "event_time": ("政策实施后学期数", "Terms since the policy"),
    "moved": ("随父母迁居（累计）", "Moved to live with parents (cumulative)"),
    "truth": ("真实值（合成数据）", "True value (synthetic data)"),
    "cs": ("Callaway–Sant'Anna 估计", "Callaway–Sant'Anna estimate"),
    "twfe": ("双向固定效应（有偏）", "Two-way fixed effects (biased)"),
    "pre": ("政策前", "Before the policy"),
    "post": ("政策后", "After the policy"),
    "trained_share": ("受训教师比例", "Trained-teacher share"),
    "share": ("比例", "Share"),
    "children": ("儿童数", "Children"),
    "township": ("乡镇", "Township"),
    "year": ("年份", "Year"),
    "count_10k": ("人数（万人）", "Children (10,000s)"),
    "left_behind_children": ("农村留守儿童", "Rural left-behind children"),
    "migrant_children": ("进城务工人员随迁子女", "Migrant children"),
    "ci": ("95% 置信区间", "95% confidence interval"),
    # columns of the kit's result and audit tables, as the notebooks display them; a column
    # that counts children says so (人数 / children), which is how the small-cell check of the
    # notebook outputs finds it (tests/report/test_notebook_outputs.py)
    "estimate_term": ("估计项", "Term"),
    "group": ("组别", "Group"),
    "time": ("学期", "Term"),
    "estimate": ("估计值", "Estimate"),
    "std_error": ("标准误", "Std. error"),
    "conf_low": ("95% 置信区间下限", "95% CI, lower"),
    "conf_high": ("95% 置信区间上限", "95% CI, upper"),
    "p_value": ("p 值", "p-value"),
    "p_adjusted": ("校正后 p 值", "Adjusted p-value"),
    "statistic": ("检验统计量", "Statistic"),
    "method": ("方法", "Method"),
    "covered": ("区间覆盖真实值", "Interval covers truth"),
    "outcome": ("结果变量", "Outcome"),
    "aggregation": ("汇总方式", "Aggregation"),
    "level": ("层级", "Level"),
    "variance": ("方差", "Variance"),
    "icc": ("组内相关系数", "ICC"),
    "total": ("合计", "Total"),
    "lb_share": ("留守儿童比例", "Left-behind share"),
    "missing_share": ("缺失比例", "Missing share"),
    "series": ("统计对象", "Series"),
    "definition": ("统计口径", "Definition"),
    "figure": ("指标", "Figure"),
    "value": ("数值", "Value"),
    "suppressed": ("含隐藏单元格", "Cells suppressed"),
    "n_left_behind": ("留守儿童人数", "Left-behind children"),
    "n_paired": ("已结对人数", "Children paired"),
    "share_paired": ("结对比例", "Share paired"),
    "n_cadre": ("党员干部结对人数", "Children paired with cadres"),
    "n_teacher": ("教师结对人数", "Children paired with teachers"),
    "n_volunteer": ("志愿者结对人数", "Children paired with volunteers"),
    "service": ("服务", "Service"),
    "n_children": ("儿童人数", "Children"),
    "n_receiving": ("获得服务人数", "Children receiving"),
    "share_receiving": ("获得服务比例", "Share receiving"),
    "mean_per_child": ("人均次数或时长", "Mean per child"),
    "n_pupils": ("在校儿童人次", "Child-terms enrolled"),
    "n_recipients": ("获助人数", "Recipients (children)"),
    "n_lb_recipients": ("留守儿童获助人数", "Left-behind recipients (children)"),
    "share_lb": ("发给留守儿童的比例", "Share to left-behind children"),
    "share_lb_amount": ("留守儿童所得金额比例", "Share of amount to left-behind children"),
    "share_lb_recipients": ("留守儿童获助人数比例", "Share of recipients left behind"),
    "meets_rule": ("达到 30%", "At least 30%"),
    "shortfall": ("差额", "Shortfall"),
    "scenario": ("情形", "Scenario"),
    "estimator": ("估计方法", "Estimator"),
    "estimates": ("估计次数", "Estimates"),
    "bias": ("偏差", "Bias"),
    "bias_mc_se": ("偏差的蒙特卡洛标准误", "Bias, MC s.e."),
    "rmse": ("均方根误差", "RMSE"),
    "sd_estimate": ("估计值的标准差", "SD of estimates"),
    "mean_se": ("平均标准误", "Mean s.e."),
    "coverage": ("覆盖率", "Coverage"),
    "coverage_mc_se": ("覆盖率的蒙特卡洛标准误", "Coverage, MC s.e."),
    "rejects_null": ("错误拒绝零假设的比例", "Rejects a true null"),
    "diagnostics_failed": ("设计检验未通过的比例", "Design checks failed"),
    "cohort_year": ("首次实施年份", "Group (first treated)"),
    "period": ("年份", "Year"),
    "published": ("已发表值", "Published"),
    "ours": ("本工具包", "This kit"),
    "same_to_4_decimals": ("四位小数一致", "Equal to 4 decimals"),
    "published_se": ("已发表标准误", "Published s.e."),
    "our_se": ("本工具包标准误", "Our s.e."),
    "se_ratio": ("标准误之比", "S.e. ratio"),
    "action": ("措施", "Action"),
    "verdict": ("证据结论", "Verdict"),
    "question": ("问题", "Question"),
    "measure": ("估计量", "Estimate of"),
    "sesoi": ("最小有意义效应", "Smallest effect that matters"),
    "better": ("改善方向", "Better when"),
    "unit": ("单位", "Unit"),
    "outcome_sd": ("结局标准差", "Outcome SD"),
    "basis": ("依据", "Basis"),
    "population_zh": ("适用对象", "Who it describes"),
    "population_en": ("适用对象", "Who it describes"),
    "assumption_zh": ("前提假设", "Assumption"),
    "assumption_en": ("前提假设", "Assumption"),
    "checks_zh": ("设计检验", "Design checks"),
    "checks_en": ("设计检验", "Design checks"),
    "evidence": (
        "依据（估计值与 95% 置信区间、适用对象、前提假设）",
        "Evidence (estimate and 95% CI, who it covers, assumptions)",
    ),
    "recommendation": ("建议", "Recommendation"),
    "pilot_outcome": ("试点结局", "Pilot outcome"),
    "effect_sd": ("拟检出效应（标准差）", "Effect to detect (SD)"),
    "share_reached": ("覆盖儿童比例（假设）", "Share of children reached (assumed)"),
    "r2_cluster": ("协变量 R²（学校层）", "Covariate R² (schools)"),
    "r2_individual": ("协变量 R²（儿童层）", "Covariate R² (children)"),
    "alpha": ("显著性水平", "Significance level"),
    "power": ("检验效能", "Power"),
    "schools_needed": ("需随机分配学校数", "Schools to randomise"),
    "children_per_school": ("每校儿童数", "Children per school"),
    "county_schools": ("全县学校数", "Schools in the county"),
    "mde_all_schools": ("全县学校参与时的最小可检出效应（标准差）", "MDE with every school (SD)"),
    "pilot_notes": ("说明", "Notes"),
    # the pilot loop (lbc_eval.pilot: assignment, balance, analysis, attrition, deviations)
    "stratum": ("层", "Stratum"),
    "arm": ("组别", "Arm"),
    "covariate": ("协变量", "Covariate"),
    "mean_control": ("对照组均值", "Control mean"),
    "mean_treatment": ("干预组均值", "Treatment mean"),
    "std_diff": ("标准化差异", "Standardised difference"),
    "low_income_share": ("低收入家庭儿童比例", "Low-income share"),
    "mean_sdq_total": ("SDQ困难总分均值", "Mean SDQ total difficulties"),
    "mean_math": ("数学成绩均值", "Mean math score"),
    "role": ("角色", "Role"),
    "estimate_sd": ("估计值（标准差）", "Estimate (SD)"),
    "sd_baseline": ("基线标准差", "Baseline SD"),
    "p_value_ri": ("随机化推断 p 值", "Randomisation p-value"),
    "p_value_wild": ("野聚类自助法 p 值", "Wild bootstrap p-value"),
    "p_value_crv1": ("CRV1 p 值", "CRV1 p-value"),
    "conf_low_wild": ("自助法区间下限", "Bootstrap CI, lower"),
    "conf_high_wild": ("自助法区间上限", "Bootstrap CI, upper"),
    "n_schools": ("学校数", "Schools"),
    "n_baseline": ("基线儿童数", "Children at baseline"),
    "n_followed": ("随访到的儿童数", "Children followed up"),
    "attrition": ("流失率", "Attrition"),
    "deviation": ("是否偏离", "Deviation"),
    "check": ("检查项", "Check"),
    "sd": ("全体标准差", "SD (all)"),
    "message_zh": ("说明", "Message"),
    "message_en": ("说明", "Message"),
}

#: Labels of values, by the column they appear in (codebook categories come from the codebook).
#: The verdicts of :mod:`lbc_eval.questions.findings`, by name.
VERDICTS: dict[str, tuple[str, str]] = {
    "improves": ("改善", "improves"),
    "worsens": ("变差", "worsens"),
    "no_clear_effect": ("未见有意义的效应", "no clear effect"),
    "too_imprecise": ("过于不精确，无法判断", "too imprecise"),
    "not_credible": ("设计检验未通过，不可采信", "not credible"),
}
_VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "verdict": VERDICTS,
    "measure": {
        "ame": ("平均边际效应（每多一次帮扶）", "average marginal effect (per contact)"),
        "ame_naive": ("简单横截面斜率", "naive cross-sectional slope"),
        "trained_share": ("受训教师比例（0 → 1）", "trained-teacher share (0 → 1)"),
        "simple": ("简单 ATT", "simple ATT"),
        "dynamic": ("动态总体效应", "dynamic overall"),
    },
    "estimate_term": {
        "dose[1-2]": ("帮扶 1–2 次（相对 0 次）", "1–2 contacts (vs 0)"),
        "dose[3-5]": ("帮扶 3–5 次（相对 0 次）", "3–5 contacts (vs 0)"),
        "dose[6+]": ("帮扶 6 次及以上（相对 0 次）", "6+ contacts (vs 0)"),
        "ame": ("平均边际效应", "average marginal effect"),
        "ame_naive": ("简单横截面斜率", "naive cross-sectional slope"),
        "ame_within": ("儿童内部估计的平均边际效应", "within-child AME"),
        "slope_iv": ("工具变量线性斜率", "linear IV slope"),
        "trained_share": ("受训教师比例", "trained-teacher share"),
        "left_behind": ("留守儿童", "left-behind children"),
        "not_left_behind": ("非留守儿童", "other children"),
        "difference": ("留守儿童减非留守儿童", "left-behind minus other"),
        "naive": ("简单比较（无学校固定效应）", "naive (no school effects)"),
        "overall": ("总体", "overall"),
    },
    "aggregation": {
        "simple": ("简单平均", "simple"),
        "dynamic": ("按政策实施时长", "dynamic (by exposure)"),
        "group": ("按实施批次", "by adoption group"),
        "calendar": ("按学期", "by term"),
    },
    "group": {
        "left_behind": ("留守儿童", "left-behind children"),
        "other": ("其他儿童", "other children"),
    },
    "service": {
        "counseling": ("心理辅导", "counselling"),
        "tutoring": ("课业辅导", "tutoring"),
    },
    "level": {
        "school": ("学校", "school"),
        "class": ("班级", "class"),
        "child": ("儿童", "child"),
        "all": ("全部", "all"),
        "primary": ("小学", "primary"),
        "junior": ("初中", "junior secondary"),
    },
    "series": {
        "left_behind_children": _TEXT["left_behind_children"],
        "migrant_children": _TEXT["migrant_children"],
    },
    "definition": {
        "moe_enrolled_compulsory": (
            "教育部：义务教育阶段在校生",
            "MoE: enrolled in compulsory school",
        ),
        "mca_under16_both_parents_away": (
            "民政部：父母均外出的 16 岁以下儿童",
            "MCA: under 16, both parents away",
        ),
    },
    "figure": {
        "children": ("儿童人数", "children"),
        "child-terms": ("儿童学期数（人次）", "child-terms"),
        "terms": ("学期", "terms"),
        "schools": ("学校数", "schools"),
        "townships": ("乡镇数", "townships"),
        "destinations (adopting the policy)": (
            "务工地数（其中实施政策的）",
            "destinations (adopting the policy)",
        ),
        "left-behind share of child-terms": (
            "留守儿童占儿童学期的比例",
            "left-behind share of child-terms",
        ),
        "both parents away, share": ("父母均外出的比例", "both parents away, share"),
        "paired share of left-behind child-terms": (
            "留守儿童学期中已结对的比例",
            "paired share of left-behind child-terms",
        ),
        "mean contacts per paired child-term": (
            "每个已结对儿童每学期平均帮扶次数",
            "mean contacts per paired child-term",
        ),
        "missing math / SDQ share": ("数学 / SDQ 缺失比例", "missing math / SDQ share"),
    },
    "estimator": {
        "dose_response": (
            "帮扶次数与下学期结果（儿童内部比较）",
            "dose response (within children)",
        ),
        "training": (
            "教师培训（学校和年份固定效应）",
            "teacher training (school and year effects)",
        ),
        "did (Callaway-Sant'Anna)": (
            "Callaway–Sant'Anna 组别-时期效应",
            "Callaway–Sant'Anna ATT(g,t)",
        ),
        "did aggregate (simple)": ("Callaway–Sant'Anna：简单平均", "Callaway–Sant'Anna: simple"),
        "did aggregate (dynamic)": (
            "Callaway–Sant'Anna：按政策实施时长",
            "Callaway–Sant'Anna: by event time",
        ),
        "did aggregate (group)": ("Callaway–Sant'Anna：按实施批次", "Callaway–Sant'Anna: by group"),
        "did aggregate (calendar)": ("Callaway–Sant'Anna：按学期", "Callaway–Sant'Anna: by term"),
        "twfe event study": ("双向固定效应事件研究", "two-way fixed effects event study"),
        "fe": ("固定效应回归", "fixed effects"),
        "pilot_itt": ("试点的意向处理效应（按登记分析）", "pilot ITT (as registered)"),
        # the rows of the methods study (notebook 6)
        "Q1 within AME": ("Q1 儿童内部比较的平均边际效应", "Q1 within AME"),
        "Q1 naive cross-section": ("Q1 简单横截面比较", "Q1 naive cross-section"),
        "Q1 supply_iv AME": ("Q1 工具变量估计的平均边际效应", "Q1 supply-IV AME"),
        "Q2 school FE": ("Q2 学校固定效应", "Q2 school FE"),
        "Q2 naive cross-section": ("Q2 简单横截面比较", "Q2 naive cross-section"),
        "Q3 CS simple ATT": ("Q3 CS 简单平均 ATT", "Q3 CS simple ATT"),
        "Q3 CS, e < 0 (placebo)": ("Q3 CS，e < 0（安慰剂）", "Q3 CS, e < 0 (placebo)"),
        "Q3 CS, e >= 0": ("Q3 CS，e ≥ 0", "Q3 CS, e >= 0"),
        "Q3 CS dynamic overall": ("Q3 CS 按实施时长的总体效应", "Q3 CS dynamic overall"),
        "Q3 TWFE leads (placebo)": ("Q3 双向固定效应前导项（安慰剂）", "Q3 TWFE leads (placebo)"),
    },
    "scenario": {
        "default": ("默认（生成器的假设成立）", "default"),
        "no policy effect": ("入学政策没有效应", "no policy effect"),
        "destination shocks, no policy effect": (
            "务工地共同冲击，政策没有效应",
            "destination shocks, no policy effect",
        ),
        "feedback, no mentoring effect": (
            "帮扶随儿童状况变化，帮扶没有效应",
            "feedback, no mentoring effect",
        ),
        "school trend": ("学校趋势与培训同步", "school trend"),
        "few schools": ("学校较少（8 所）", "few schools"),
    },
    "arm": {
        "control": ("对照组", "control"),
        "treatment": ("干预组", "treatment"),
        "overall": ("合计", "overall"),
    },
    "role": {"primary": ("主要结局", "primary"), "secondary": ("次要结局", "secondary")},
    "covariate": {
        k: _TEXT[k] for k in ("n_children", "lb_share", "low_income_share", "mean_sdq_total",
                              "mean_math")
    },  # fmt: skip
    "check": {
        "spec_hash": ("规格文件的哈希值", "spec hash"),
        "registered_hash": ("登记时公布的哈希值", "published hash"),
        "follow_up_term": ("随访学期", "follow-up term"),
        "baseline_term": ("基线学期", "baseline term"),
        "missing_schools": ("缺失的学校", "missing schools"),
        "extra_schools": ("计划外的学校", "extra schools"),
        "missing_outcomes": ("缺失的结局指标", "missing outcomes"),
        "delivered_arms": ("实际实施的组别", "arms delivered"),
        "attrition": ("样本流失", "attrition"),
        "randomisation": ("随机化推断", "randomisation inference"),
        "lead_placebo": ("前导安慰剂检验", "lead placebo"),
        "first_stage": ("工具变量第一阶段强度", "first stage"),
        "iv_vs_within": ("工具变量与儿童内部估计的一致性", "IV vs within"),
        "schools": ("学校数", "schools"),
        "pretest": ("平行趋势预检验", "pre-test"),
        "treated_destinations": ("实施政策的务工地数", "treated destinations"),
    },
}


def check_lang(lang: str) -> Lang:
    """Validate a language option (``zh``, ``en`` or ``both``)."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r}; choose one of {', '.join(LANGS)}")
    return lang  # type: ignore[return-value]


def label(key: str, lang: str = "both") -> str:
    """The label of a codebook column or a known key, in ``lang`` (``both``: Chinese English)."""
    check_lang(lang)
    if key in _TEXT:
        zh, en = _TEXT[key]
    else:
        try:
            c = codebook.column(key)
        except Exception:  # noqa: BLE001 - unknown keys are shown as they are
            return key
        zh, en = c.label_zh, c.label_en
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def value_label(column: str, value: object, lang: str = "both") -> str:
    """The label of ``value`` in ``column``, in ``lang``: a codebook category's level label,
    one of the kit's own values (regression terms, aggregations, audit groups ...), or an
    outcome's column label; other values are shown as they are. Terms joined by ``:``
    (``trained_share:left_behind``) are labelled part by part."""
    check_lang(lang)
    text = str(value)
    if text == "total":  # the margin row or column of a table
        return label(text, lang)
    known = _VALUES.get(column, {})
    if text in known:
        zh, en = known[text]
        return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"
    if column == "estimate_term" and ":" in text:
        parts = [value_label(column, p, lang) for p in text.split(":")]
        return ("：" if lang != "en" else ": ").join(parts)
    if column in ("outcome", "pilot_outcome") or text in codebook.OUTCOMES:
        return label(text, lang)
    try:
        c = codebook.column(column)
    except Exception:  # noqa: BLE001 - not a codebook column: the value as it is
        return text
    if c.kind != "category" or text not in c.levels:
        return text
    zh, en = c.levels[text][0], text.replace("_", " ")
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"
