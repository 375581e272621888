"""Ingest's key, output folder and report in words, Chinese and English side by side.

Part of the catalogue (:mod:`lbc_eval.data.messages`): the errors about the pseudonymisation
key (``key.*``, :mod:`lbc_eval.ingest.keys`) and the output folder (``output.*``,
:mod:`lbc_eval.ingest.output`), the options of the survey template (``template.*``,
:mod:`lbc_eval.ingest.template`) and the lines of ``report.txt`` (``report.*``,
:mod:`lbc_eval.ingest.summary`). They name files, folders and fingerprints, never a key or a
value.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- the key --------------------------------------------------------------------------------
    "key.exists": (
        "{path} 已经存在；密钥从不覆盖（化名取决于它）。请去掉 --create-key 直接使用它，或另取一个"
        "文件名",
        "{path} exists already; a key is never overwritten (the pseudonyms depend on it). Use "
        "it without --create-key, or name a new file",
    ),
    "key.none": (
        "没有化名密钥：请用 --key-file PATH 指定密钥文件（加 --create-key 新建），或设置环境变量"
        " {env}",
        "no pseudonymisation key: give --key-file PATH (add --create-key to make a new one) or "
        "set the environment variable {env}",
    ),
    "key.in_env": ("环境变量 {env}", "the environment variable {env}"),
    "key.in_file": ("密钥文件 {path}", "key file {path}"),
    "key.no_file": (
        "密钥文件 {path} 不存在；加 --create-key 可新建一个（仅限首次导入：新密钥会给每名儿童一个"
        "新的化名）",
        "key file {path} does not exist; add --create-key to make a new one (only for a first "
        "ingest: a new key gives every child a new pseudonym)",
    ),
    "key.readable": (
        "密钥文件 {path} 其他用户也能读取（权限 {mode}）；请运行：chmod 600 {path}",
        "key file {path} can be read by other users (mode {mode}); run: chmod 600 {path}",
    ),
    "key.malformed": (
        "{where}中没有密钥：应为至少 {size} 个随机字节，写成十六进制字符（可用 --create-key 生成）",
        "{where} does not hold a key: {size} or more random bytes written as hexadecimal "
        "characters are expected (make one with --create-key)",
    ),
    "key.weak": (
        "{where}中的密钥太弱：{problem}。密钥应为至少 {size} 个随机字节；请用 --create-key 生成"
        "（新密钥会给每名儿童一个新的化名）",
        "{where} holds a weak key: {problem}. A key must be {size} or more random bytes; make "
        "one with --create-key (a new key gives every child a new pseudonym)",
    ),
    "key.too_short": (
        "只有 {size} 个字节（至少应为 {least} 个）",
        "it is {size} bytes long (at least {least} expected)",
    ),
    "key.few_values": (
        "只有 {count} 种不同的字节值（至少应为 {least} 种）",
        "it has only {count} different byte value(s) (at least {least} expected)",
    ),
    "key.evenly_spaced": (
        "字节是等间隔的序列（如 00 01 02 …）",
        "its bytes are an evenly spaced run (such as 00 01 02 …)",
    ),
    "key.repeats": ("由同一段字节重复而成", "it repeats one block of bytes"),
    "key.the_key_file": ("密钥文件", "the key file"),
    "key.the_output": ("输出文件夹", "the output folder"),
    "key.inside_repo": (
        "{what} {path} 位于 git 工作区 {root} 之内；真实记录和密钥必须放在代码仓库之外。请另选"
        "文件夹（仅限合成数据，可传 allow_inside_repo=True / --allow-inside-repo）",
        "{what} {path} is inside the git working tree {root}; real records and keys must stay "
        "outside the repository. Choose a folder elsewhere (or pass allow_inside_repo=True / "
        "--allow-inside-repo for synthetic data only)",
    ),
    "key.no_fingerprint": (
        "{path} 中没有记录密钥指纹，因此无法核对 {out} 中的队列所用的密钥；请另选一个新的输出"
        "文件夹，或传 --new-key（new_key=True）覆盖它",
        "{path} names no key fingerprint, so the key of the cohort in {out} cannot be checked; "
        "choose a new output folder, or pass --new-key (new_key=True) to write over it",
    ),
    "key.other_key": (
        "{out} 中的队列是用指纹为 {before} 的密钥生成的，而当前密钥的指纹是 {now}：每名儿童都会"
        "得到新的化名，与之前各学期的记录无法关联。请使用原来的密钥（其指纹见报告和 "
        "manifest.json）；如确需换用新密钥，请传 --new-key（new_key=True）",
        "the cohort in {out} was made with the key of fingerprint {before}, but the key in use "
        "has fingerprint {now}: every child would get a new pseudonym and no child would link "
        "to the earlier terms. Use the earlier key (its fingerprint is in the report and "
        "manifest.json), or pass --new-key (new_key=True) if a new key is intended",
    ),
    # --- the output folder ----------------------------------------------------------------------
    "output.not_a_folder": (
        "{out} 已经存在且不是文件夹；请为 --out 指定一个文件夹",
        "{out} exists and is not a folder; choose a folder for --out",
    ),
    "output.in_inputs": (
        "输出文件夹 {out} 位于输入文件夹 {inputs} 之内：下次导入 {inputs} 时会把输出当作学校文件"
        "读入。请选择所有输入文件夹之外的输出文件夹",
        "the output folder {out} is inside the input folder {inputs}: the next ingest of "
        "{inputs} would read the outputs as school files. Choose an output folder outside every "
        "input folder",
    ),
    "output.lock_left": (
        "另一个 lbc_eval 进程正在写入 {out}（其锁文件：{lock}）；如果并没有，说明锁文件是某个中途"
        "退出的进程留下的：请删除它",
        "another lbc_eval run is writing to {out} (its lock: {lock}); if none is, the lock was "
        "left by a run that died: remove it",
    ),
    "output.locked": (
        "另一个 lbc_eval 进程（{holder}）正在写入 {out}；请等它结束（其锁文件：{lock}）",
        "another lbc_eval run ({holder}) is writing to {out}; wait until it has finished (its "
        "lock: {lock})",
    ),
    "output.lock_failed": (
        "无法取得 {out} 的锁 {lock}；请重试",
        "could not take the lock {lock} of {out}; try again",
    ),
    "output.foreign": (
        "{out} 中有 {names}，它们不是 lbc_eval 写入的（没有列在 {listing} 中）；请把它们移走，或"
        "另选输出文件夹：工具包从不覆盖不是它写入的文件",
        "{out} holds {names}, which lbc_eval did not write (not listed in {listing}); move it "
        "elsewhere or choose another output folder: files the kit did not write are never "
        "replaced",
    ),
    "output.listing_unreadable": (
        "无法读取 {listing}；请把它移走后再写入 {out}",
        "{listing} cannot be read; move it away to write to {out}",
    ),
    # --- the survey template (lbc-eval template) -------------------------------------------------
    "template.term": (
        "{term} 不是学期代码，应写成 2024-1 或 2024-2 这样的形式",
        "{term} is not a term such as 2024-1 or 2024-2",
    ),
    "template.not_xlsx": (
        "调查表须为 .xlsx 工作簿，不能是 {suffix} 文件",
        "the template is an .xlsx workbook, not {suffix}",
    ),
    "template.no_suffix": (
        "调查表须为 .xlsx 工作簿：请在文件名末尾加上 .xlsx",
        "the template is an .xlsx workbook: end the file name with .xlsx",
    ),
    # --- report.txt -----------------------------------------------------------------------------
    "report.title": (
        "lbc_eval 导入报告（工具包 {kit}，代码本 {codebook}，密钥指纹 {fingerprint}）",
        "lbc_eval ingest report (kit {kit}, codebook {codebook}, key fingerprint {fingerprint})",
    ),
    "report.inputs": (
        "输入：    {files} 个文件（{failed} 个未完整读取），共读取 {rows} 行",
        "inputs:   {files} files ({failed} not read in full), {rows} rows read",
    ),
    "report.sum": (
        "          = {accepted} 行采用 + {quarantined} 行隔离 + {blank} 行空白   -> "
        "行数相符：{adds_up}",
        "          = {accepted} accepted + {quarantined} quarantined + {blank} blank   -> "
        "adds up: {adds_up}",
    ),
    "report.yes": ("是", "yes"),
    "report.no": ("否", "NO"),
    "report.not_read": ("未读取的文件：{files}", "files not read: {files}"),
    "report.not_read_tail": (
        "（其中的行未计入上面的数字：见 quarantine.csv）",
        "  (their rows are not counted above: see quarantine.csv)",
    ),
    "report.cohort": (
        "队列：    panel {panel} 个儿童学期（{children} 名儿童，{span}）；schools {schools} 个"
        "学校学年；destinations {destinations} 个务工地",
        "cohort:   panel {panel} child-terms ({children} children, {span}); schools {schools} "
        "school-years; destinations {destinations}",
    ),
    "report.span": ("{first} 至 {last}，共 {terms} 个学期", "{first} .. {last} ({terms} terms)"),
    "report.no_terms": ("无学期", "no terms"),
    "report.skipped": (
        "跳过：    没有数据表的工作表中有 {rows} 行非空行",
        "skipped:  {rows} non-blank rows in sheets without a table",
    ),
    "report.hidden": (
        "隐藏：    隐藏工作表中有 {rows} 行非空行，未读取",
        "hidden:   {rows} non-blank rows in hidden sheets, not read",
    ),
    "report.quarantined_rows": (
        "按原因统计的隔离行数（一行有多个原因时，计入第一个）：",
        "quarantined rows by reason (a row with several, under the first):",
    ),
    "report.quarantine_problems": ("按原因统计的隔离问题数：", "quarantine problems by reason:"),
    "report.warnings": ("按原因统计的警告数（这些行已采用）：", "warnings by reason (rows kept):"),
    "report.fixes": ("按类型统计的自动修正（单元格数）：", "fixes by kind (cells):"),
    "report.files": (
        "有隔离行或问题的文件（读取 / 采用 / 隔离 / 空白）：",
        "files with quarantined rows or problems (read / accepted / quarantined / blank):",
    ),
    "report.none": ("无", "none"),
    "report.not_adding_up": ("  行数不相符", "  DOES NOT ADD UP"),
    "report.status_read": ("已读取", "read"),
    "report.status_failed": ("未能读取", "failed"),
    "report.status_no_table": ("没有数据表", "no table"),
    "report.status_duplicate": ("与 {file} 重复", "duplicate of {file}"),
    "report.footer": (
        "所有问题都列在 quarantine.csv（未采用的行）和 warnings.csv（已采用的行）中，\n"
        "注明文件、工作表、行、单元格、列和原因代码；原因代码的说明见 docs/ingest.md。\n"
        "可能识别儿童的值均已隐藏。",
        "Every problem is in quarantine.csv (rows left out) and warnings.csv (rows kept), with\n"
        "file, sheet, row, cell, column and reason code; the codes are explained in\n"
        "docs/ingest.md. Values that could identify a child are masked.",
    ),
}
