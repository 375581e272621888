"""The pre-analysis plan for people: Markdown, HTML and Word, in Chinese or English.

:func:`write_plan` turns a registered spec's content (:func:`lbc_eval.pilot.plan`) into
``plan_LANG.md``, ``plan_LANG.html`` and ``plan_LANG.docx``, all three from one list of blocks
(:func:`blocks`: headings, paragraphs, bullet lists, tables), so they say the same thing. The
Word file is written with python-docx directly (this layer sits below the report): headings,
paragraphs, bullets and tables, East Asian text in :data:`EAST_ASIA_FONT`, A4 pages.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lbc_eval.data.labels import label, value_label

#: East Asian font of the Word plan (as the brief's, :mod:`lbc_eval.report.word`).
EAST_ASIA_FONT = "Microsoft YaHei"
#: Latin font of the Word plan.
LATIN_FONT = "Calibri"
#: What :func:`lbc_eval.pilot.analyse` checks, in Chinese and English.
DEVIATIONS: dict[str, tuple[str, str]] = {
    "spec_hash": ("规格文件被修改过：文件中记录的哈希值与其内容不符",
                  "spec.json was edited: the hash it records does not match its content"),
    "registered_hash": ("规格与登记时公布的哈希值不同",
                        "the spec differs from the hash published at registration"),
    "follow_up_term": ("数据中没有随访学期", "the follow-up term is not in the data"),
    "baseline_term": ("数据中没有基线学期（不再调整基线结果）",
                      "the baseline term is not in the data (no baseline adjustment)"),
    "missing_schools": ("计划中的学校在随访学期没有儿童",
                        "registered schools have no children at follow-up"),
    "extra_schools": ("数据中有计划外的学校（不纳入分析）",
                      "the data hold schools not in the plan (left out)"),
    "missing_outcomes": ("登记的结局指标在随访学期缺失",
                         "a registered outcome is absent at follow-up"),
    "delivered_arms": ("实际实施的组别与分配不同（意向处理分析仍按分配的组别）",
                       "arms delivered differ from those assigned (intention to treat keeps "
                       "the assigned arms)"),
}  # fmt: skip

Block = tuple[Any, ...]


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _named(key: str, lang: str) -> str:
    """A column or covariate by its label, the name beside it in Chinese."""
    shown = label(key, lang)
    return f"{shown}（{key}）" if lang == "zh" and shown != key else shown


def _arm(arm: str, arms: list[str], lang: str) -> str:
    """An arm's registered name, with 对照组/干预组 beside it in Chinese."""
    if lang != "zh":
        return arm
    return f"{arm}（{'对照组' if arm == arms[0] else '干预组'}）"


def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def blocks(c: Mapping[str, Any], digest: str, lang: str = "zh") -> list[Block]:
    """The plan as blocks: ``("h1"|"h2"|"p", text)``, ``("list", items)``,
    ``("table", header, rows)``."""
    L = lang
    iv = c["intervention"][L]
    r, est, pw = c["randomisation"], c["estimator"], c["power"]
    terms, out = c["terms"], c["outcomes"]
    arms = r["arms"]
    b: list[Block] = [
        ("h1", _t(L, f"试点预分析计划：{iv}", f"Pre-analysis plan: pilot of {iv}")),
        ("p", _t(L, f"登记哈希值（SHA-256）：{digest}", f"Registration hash (SHA-256): {digest}")),
        ("p", _t(L, "本计划在试点数据产生之前登记。分析将严格按本计划进行；数据或计划与登记不符之处，"
                 "分析报告会逐项列为偏离。",
                 "This plan is registered before the pilot's data exist. The analysis follows it "
                 "exactly; wherever the data or the plan differ from what is registered, the "
                 "analysis lists a deviation.")),
        ("h2", _t(L, "一、干预措施", "1. Intervention")),
        ("p", _t(L, f"措施：{iv}。学校随机分为两组：{arms[0]}（对照组，照常工作）和 {arms[1]}"
                 f"（干预组，实施该措施），干预组学校比例 {r['treat_share']:.0%}。",
                 f"Measure: {iv}. Schools are randomised to two arms: {arms[0]} (control, "
                 f"business as usual) and {arms[1]} (the measure), with {r['treat_share']:.0%} "
                 f"of schools treated.")),
        ("h2", _t(L, "二、研究对象", "2. Population")),
        ("p", c["population"][L]),
        ("list", [
            _t(L, f"随机分配的学校：{c['population']['schools']} 所，分 {c['population']['strata']} 层",
               f"Schools randomised: {c['population']['schools']}, in "
               f"{c['population']['strata']} strata"),
            _t(L, f"基线学期：{terms['baseline']}；试点学年：{terms['pilot_year']}；"
                  f"随访学期：{terms['follow_up']}",
               f"Baseline term: {terms['baseline']}; pilot year: {terms['pilot_year']}; "
               f"follow-up term: {terms['follow_up']}"),
        ]),
        ("h2", _t(L, "三、结局指标", "3. Outcomes")),
        ("table", _t(L, "角色,列名,名称,单位,取值范围", "Role,Column,Label,Unit,Allowed").split(","),
         [[_t(L, "主要", "primary") if o == out["primary"] else _t(L, "次要", "secondary"), o,
           out["columns"][o][f"label_{L}"], out["columns"][o]["unit"], out["columns"][o]["allowed"]]
          for o in [out["primary"], *out["secondary"]]]),
    ]  # fmt: skip
    b += _randomisation_blocks(c, L)
    b += _estimator_blocks(est, c["multiple_testing"], L)
    b += _power_blocks(pw, L)
    b += _rules_blocks(c, L)
    b += [
        ("h2", _t(L, "十、机读规格", "10. Machine-readable spec")),
        ("p", _t(L, f"spec.json 以机读形式固定以上全部内容（含随机分配所用的学校层面数据，不含任何儿童记录）；"
                 f"其规范 JSON 的 SHA-256 为 {digest}。工具包版本 {c['kit']['version']}，"
                 f"编码手册版本 {c['kit']['codebook_version']}。",
                 f"spec.json fixes all of the above in machine-readable form (with the "
                 f"school-level data the randomisation used, and no child's record); the SHA-256 "
                 f"of its canonical JSON is {digest}. Kit version {c['kit']['version']}, "
                 f"codebook version {c['kit']['codebook_version']}.")),
    ]  # fmt: skip
    return b


def _randomisation_blocks(c: Mapping[str, Any], L: str) -> list[Block]:
    r = c["randomisation"]
    strata = (
        _named(r["strata_column"], L)
        if r["strata_column"]
        else _t(L, "无（全体学校为一层）", "none (all schools one stratum)")
    )
    merged = "; ".join(f"{k} → {v}" for k, v in r["merged"].items()) or _t(L, "无", "none")
    items = [
        _t(L, f"随机单位：学校（{r['unit']}）；分层变量：{strata}",
           f"Unit: the school ({r['unit']}); strata: {strata}"),
        _t(L, f"每层至少 {r['min_stratum_size']} 所学校；规则：{r['merge_rule']['zh']}；"
              f"合并的层：{merged}",
           f"At least {r['min_stratum_size']} schools a stratum; rule: {r['merge_rule']['en']}; "
           f"merged: {merged}"),
        _t(L, "每层 n 所学校中随机抽取 ⌊np⌋ 所，另以概率 np−⌊np⌋ 再抽 1 所，使每所学校进入干预组的概率恰为 p",
           "In a stratum of n schools, ⌊np⌋ are drawn at random and one more with probability "
           "np − ⌊np⌋, so every school is treated with probability exactly p"),
        _t(L, f"随机种子：{r['seed']}（numpy SeedSequence(种子, spawn_key=(…))：分配用 "
              f"{r['streams']['assignment']}，随机化推断用 {r['streams']['inference']}）",
           f"Seed: {r['seed']} (numpy SeedSequence(seed, spawn_key=(…)): assignment "
           f"{r['streams']['assignment']}, inference {r['streams']['inference']})"),
    ]  # fmt: skip
    re = r["rerandomize"]
    if re:
        items.append(_t(
            L, f"重复随机化：抽取直至每个平衡协变量的标准化差异绝对值不超过 {re['threshold']:g}"
               f"（Morgan 与 Rubin 2012）；共尝试 {re['tried']:,} 次，采用第 {re['accepted_draw']:,} 次；"
               f"随机化推断只从满足同一条件的分配中抽取",
            f"Re-randomisation: draws until every balance covariate's |standardised "
            f"difference| is at most {re['threshold']:g} (Morgan & Rubin 2012); "
            f"{re['tried']:,} candidates tried, draw {re['accepted_draw']:,} accepted; "
            f"randomisation inference draws only from assignments that meet the same rule"))  # fmt: skip
    else:
        items.append(_t(L, "不做重复随机化", "No re-randomisation"))
    sup = r.get("support")
    if sup:
        items.append(_t(
            L, f"该程序的 {sup['draws']} 次抽取中有 {sup['distinct']} 种不同的分配，随机化推断的 p 值"
               f"最小约为 {1 / sup['distinct']:.3f}" + ("" if sup["enough"] else "：分配种类太少，主要检验可能无法在 5% 水平上拒绝零假设"),
            f"{sup['distinct']} different assignments in {sup['draws']} draws of the procedure: "
            f"randomisation p-values go down to about {1 / sup['distinct']:.3f}"
            + ("" if sup["enough"] else "; too few for the primary test to reject at 5%")))  # fmt: skip
    head = _t(
        L,
        "协变量,对照组均值,干预组均值,全体标准差,标准化差异",
        "Covariate,Control mean,Treatment mean,SD (all),Std. difference",
    ).split(",")
    bal = [[label(row["covariate"], L), _num(row["mean_control"]), _num(row["mean_treatment"]),
            _num(row["sd"]), _num(row["std_diff"])] for row in c["balance"]]  # fmt: skip
    arms = r["arms"]
    sch = [[s["school_id"], s["stratum"], _arm(s["arm"], arms, L)] for s in r["schools"]]
    return [
        ("h2", _t(L, "四、随机分配", "4. Randomisation")),
        ("list", items),
        ("p", _t(L, "基线平衡（学校层面，标准化差异 = 两组均值之差 ÷ 全体学校的标准差）：",
                 "Baseline balance (school level; standardised difference = difference in "
                 "means ÷ SD over all schools):")),
        ("table", head, bal),
        ("p", _t(L, "各校的组别：", "Each school's arm:")),
        ("table", _t(L, "学校,层,组别", "School,Stratum,Arm").split(","), sch),
    ]  # fmt: skip


def _estimator_blocks(e: Mapping[str, Any], mt: Mapping[str, Any], L: str) -> list[Block]:
    interval = _t(
        L,
        "随机化检验不拒绝的所有常数效应（检验反演）",
        "the constant effects the randomisation test does not reject (test inversion)",
    )
    method = {"holm": "Holm", "romano-wolf": "Romano–Wolf"}[mt["method"]]
    return [
        ("h2", _t(L, "五、估计方法", "5. Estimator")),
        ("p", _t(L, "意向处理效应（ITT）：随访学期儿童的结果对其学校的组别回归，控制层固定效应、"
                 "儿童的基线结果（缺失记为 0）及其缺失指示变量（有缺失时）：",
                 "Intention to treat (ITT): the child's outcome at follow-up regressed on its "
                 "school's arm, with stratum fixed effects, the child's baseline outcome (0 when "
                 "missing) and its missing indicator (when any is missing):")),
        ("p", "Y_ij = α_k(j) + τ·T_j + β·Y0_ij + γ·M_ij + ε_ij"),
        ("p", _t(L, "其中 i 为儿童，j 为学校，k(j) 为学校所在的层，T_j = 1 表示干预组，τ 即意向处理效应。",
                 "where i is the child, j the school, k(j) its stratum, T_j = 1 the treatment "
                 "arm, and τ the intention-to-treat effect.")),
        ("list", [
            _t(L, f"标准误：按学校聚类的 CRV1；{1 - e['alpha']:.0%} 置信区间：{interval}",
               f"Standard errors: CRV1 by school; {1 - e['alpha']:.0%} intervals: {interval}"),
            _t(L, f"主要 p 值：随机化推断，检验统计量为学生化系数 t = τ̂ / 标准误，p = (1 + #{{|t*| ≥ |t|}}) / (1 + R)，R = {e['ri_reps']:,}，"
                  f"从登记的随机分配程序中重新抽取（含重复随机化）；CRV1 与限制性野聚类自助法"
                  f"（{e['reps']:,} 次）的 p 值和区间并列报告",
               f"Primary p-value: randomisation inference on the studentised coefficient t = τ̂ / "
               f"s.e., p = (1 + #{{|t*| ≥ |t|}}) / (1 + R), "
               f"R = {e['ri_reps']:,} draws from the registered procedure (re-randomisation "
               f"included); the CRV1 and restricted wild cluster bootstrap ({e['reps']:,} draws) "
               f"p-values and intervals beside it"),
            _t(L, "以标准差为单位的效应：估计值 ÷ 基线学期随机分配学校中儿童该结果的标准差",
               "Effects in SD: the estimate ÷ the SD of the outcome over the children of the "
               "randomised schools in the baseline term"),
            _t(L, f"多重检验：检验族为 {', '.join(mt['family'])}，以 {method} 方法校正随机化 p 值"
                  f"（控制族错误率）",
               f"Multiple testing: the family {', '.join(mt['family'])}, randomisation "
               f"p-values adjusted by {method} (family-wise error rate)"),
        ]),
    ]  # fmt: skip


def _power_blocks(p: Mapping[str, Any], L: str) -> list[Block]:
    rows = [
        (_t(L, "最小可检出效应（标准差）", "Minimum detectable effect (SD)"), _num(p["mde"])),
        (_t(L, "随机分配学校数", "Schools randomised"), _num(p["n_schools"])),
        (_t(L, "每校儿童数（调和平均）", "Children per school (harmonic mean)"),
         _num(p["children_per_school"], 0)),
        (_t(L, "组内相关系数", "ICC"), _num(p["icc"])),
        (_t(L, "协变量 R²（学校层）", "Covariate R² (school)"), _num(p["r2_cluster"])),
        (_t(L, "协变量 R²（儿童层）", "Covariate R² (child)"), _num(p["r2_individual"])),
        (_t(L, "干预组学校比例", "Share of schools treated"), _num(p["treat_share"], 2)),
        (_t(L, "显著性水平（双侧）", "Significance level (two-sided)"), _num(p["alpha"], 2)),
        (_t(L, "检验效能", "Power"), _num(p["power"], 2)),
        (_t(L, "拟检出效应（标准差）", "Effect of interest (SD)"), _num(p["effect_of_interest_sd"])),
        (_t(L, "拟检出效应下的检验效能", "Power at the effect of interest"),
         _num(p["power_at_effect"], 2)),
    ]  # fmt: skip
    text = _t(L, "按学校随机分配的两层设计（PowerUp!/Bloom 公式）计算；分层与重复随机化只会使实际的最小可检出效应更小。",
              "Two-level design with schools randomised (PowerUp!/Bloom formulas); "
              "stratification and re-randomisation only make the real MDE smaller.")  # fmt: skip
    if abs(p["effect_of_interest_sd"]) < p["mde"]:
        text += _t(L, f"注意：拟检出效应小于最小可检出效应，检验效能仅 {p['power_at_effect']:.0%}。",
                   f" Note: the effect of interest is below the MDE; power is only "
                   f"{p['power_at_effect']:.0%}.")  # fmt: skip
    return [
        ("h2", _t(L, "六、最小可检出效应及其假设", "6. Minimum detectable effect and its assumptions")),
        ("p", text),
        ("table", _t(L, "项目,数值", "Item,Value").split(","), [list(r) for r in rows]),
    ]  # fmt: skip


def _rules_blocks(c: Mapping[str, Any], L: str) -> list[Block]:
    a, s = c["attrition"], c["stopping"]
    return [
        ("h2", _t(L, "七、停止规则", "7. Stopping rule")),
        ("p", s[L]),
        ("h2", _t(L, "八、样本流失与缺失数据", "8. Attrition and missing data")),
        ("list", [
            _t(L, "基线样本：基线学期在随机分配学校就读、年级低于 9 的儿童（9 年级毕业离校不算流失），组别按基线学校",
               "Baseline sample: children enrolled in a randomised school in the baseline term "
               "below grade 9 (grade 9 leaves school; that is not attrition), arm by their "
               "baseline school"),
            _t(L, "流失：基线样本中随访学期没有主要结局记录的比例，分组报告",
               "Attrition: the share of the baseline sample with no primary outcome recorded "
               "at follow-up, by arm"),
            _t(L, f"规则：总流失率不超过 {a['max_overall']:.0%}，两组之差不超过 "
                  f"{a['max_differential']:.0%}；超过时报告规则未通过，结果须谨慎解读",
               f"Rule: overall attrition at most {a['max_overall']:.0%} and the difference "
               f"between arms at most {a['max_differential']:.0%}; beyond that the rule is "
               f"reported as failed and the result read with caution"),
            _t(L, "缺失的随访结果不插补；缺失的基线结果记为 0 并加入缺失指示变量",
               "Missing follow-up outcomes are not imputed; a missing baseline outcome is set "
               "to 0 with a missing indicator"),
        ]),
        ("h2", _t(L, "九、偏离报告", "9. Deviations")),
        ("p", _t(L, "分析时逐项检查以下偏离，并在结果中列出：", "The analysis checks and lists:")),
        ("list", [f"{value_label('check', k, 'zh')}（{k}）：{DEVIATIONS[k][0]}" if L == "zh"
                  else f"{k}: {DEVIATIONS[k][1]}" for k in c["deviations"] if k in DEVIATIONS]),
    ]  # fmt: skip


def markdown(bl: list[Block]) -> str:
    """The blocks as Markdown."""
    out: list[str] = []
    for blk in bl:
        kind = blk[0]
        if kind == "h1":
            out.append(f"# {blk[1]}")
        elif kind == "h2":
            out.append(f"## {blk[1]}")
        elif kind == "p":
            out.append(blk[1])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in blk[1]))
        elif kind == "table":
            head, rows = blk[1], blk[2]
            cell = [str(h).replace("|", "\\|") for h in head]
            lines = ["| " + " | ".join(cell) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |"
                      for r in rows]  # fmt: skip
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


_CSS = (
    "body{font-family:'Microsoft YaHei','PingFang SC','Noto Sans CJK SC',sans-serif;"
    "max-width:52em;margin:2em auto;padding:0 1em;line-height:1.6}"
    "table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto}"
    "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}th{background:#eef}"
)


def html(bl: list[Block], *, title: str, lang: str = "zh") -> str:
    """The blocks as a self-contained HTML page."""
    esc = _html.escape
    body: list[str] = []
    for blk in bl:
        kind = blk[0]
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{esc(blk[1])}</{kind}>")
        elif kind == "list":
            body.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in blk[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{esc(str(h))}</th>" for h in blk[1])
            rows = "".join("<tr>" + "".join(f"<td>{esc(str(x))}</td>" for x in r) + "</tr>"
                           for r in blk[2])  # fmt: skip
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    code = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def docx(bl: list[Block], target: str | Path, *, title: str, lang: str = "zh") -> Path:
    """The blocks as a Word document (A4, CJK font for East Asian text)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))
    for fonts in doc.styles.element.iter(qn("w:rFonts")):  # every style, East Asian text
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)
        fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.font.name = LATIN_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)
    props = doc.core_properties
    props.title, props.author = title, "lbc_eval"
    props.language = "zh-CN" if lang == "zh" else "en-US"
    for blk in bl:
        kind = blk[0]
        if kind == "h1":
            doc.add_heading(blk[1], level=1)
        elif kind == "h2":
            doc.add_heading(blk[1], level=2)
        elif kind == "p":
            doc.add_paragraph(blk[1])
        elif kind == "list":
            for item in blk[1]:
                doc.add_paragraph(item, style="List Bullet")
        elif kind == "table":
            head, rows = blk[1], blk[2]
            table = doc.add_table(rows=1 + len(rows), cols=len(head))
            table.style = "Table Grid"
            # Row by row: ``table.cell(i, j)`` rebuilds the whole grid on every call, which is
            # quadratic in a province's 2,000-school table.
            grid = table.rows
            for cell, h in zip(grid[0].cells, head, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(str(h)).bold = True
            for row, r in zip(grid[1:], rows, strict=True):
                for cell, x in zip(row.cells, r, strict=True):
                    cell.text = str(x)
            doc.add_paragraph()
    target = Path(target)
    doc.save(str(target))
    return target


def write_plan(content: Mapping[str, Any], digest: str, folder: str | Path, *,
               lang: str = "zh") -> list[Path]:  # fmt: skip
    """Write ``plan_LANG.md``, ``.html`` and ``.docx`` into ``folder``; returns their paths."""
    folder = Path(folder)
    bl = blocks(content, digest, lang)
    title = bl[0][1]
    paths = [folder / f"plan_{lang}.{ext}" for ext in ("md", "html", "docx")]
    paths[0].write_text(markdown(bl), encoding="utf-8")
    paths[1].write_text(html(bl, title=title, lang=lang), encoding="utf-8")
    docx(bl, paths[2], title=title, lang=lang)
    return paths
