"""What running the notebooks, the brief and the output scanner say, in Chinese and English.

Part of the catalogue (:mod:`lbc_eval.data.messages`): the progress lines and errors of
:func:`lbc_eval.report.run.run` and :func:`lbc_eval.report.brief.brief` (``run.*``: which
notebook runs, the heartbeat, a failed cell, a wrong cohort folder or selection), and the lines
of the output scanner, :mod:`lbc_eval.publish.scan` (``scan.*``: why a file was not looked into,
why one could not be read, the summary). A finding itself stays machine-readable (file, place,
kind, mask) and is not in the catalogue.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- lbc-eval run: progress -----------------------------------------------------------------
    "run.start": (
        "正在运行 {count} 个笔记本（{lang}），数据：{data}，输出到 {out}",
        "running {count} notebook(s) in {lang} on {data} into {out}",
    ),
    "run.notebook": ("笔记本 {index}/{total}：{name}", "notebook {index}/{total}: {name}"),
    "run.running": ("{notebook} 正在运行……", "{notebook} running ..."),
    "run.still_running": (
        "{notebook} 仍在运行，已用时 {seconds} 秒{where}",
        "{notebook} still running after {seconds} s{where}",
    ),
    "run.cell": ("（第 {cell} 个单元格，共 {cells} 个）", " (cell {cell} of {cells})"),
    "run.cell_heading": (
        "（第 {cell} 个单元格，共 {cells} 个：{title}）",
        " (cell {cell} of {cells}: {title})",
    ),
    "run.done": ("{notebook} 已完成，用时 {seconds} 秒", "{notebook} done in {seconds} s"),
    # --- lbc-eval run: errors -------------------------------------------------------------------
    "run.unknown_lang": (
        "未知语言 {lang}：请用 zh（中文）、en（英文）或 both（中英双语标签）",
        "unknown language {lang}: use zh (Chinese), en (English) or both (labels in both)",
    ),
    "run.no_notebooks": ("{folder} 中没有带编号的笔记本", "no numbered notebooks in {folder}"),
    "run.no_match": (
        "没有与 {unknown} 对应的笔记本；现有的笔记本是 {choices}：请按编号选择，例如 01 05",
        "no notebook matches {unknown}; the notebooks are {choices}: select them by number, "
        "e.g. 01 05",
    ),
    "run.inside_repo": (
        "{out} 位于 git 工作区之内，而 {data} 是真实记录；请把输出写到代码仓库之外（如确有把握，"
        "可加 --allow-inside-repo）",
        "{out} is inside a git working tree and {data} holds real records; write the outputs "
        "outside the repository (or pass --allow-inside-repo if you are sure)",
    ),
    "run.cell_failed": (
        "{name} 在单元格 [{cell}] 出错（{error}）：{message}；含完整错误回溯的笔记本是 {target}",
        "{name} failed in cell [{cell}] with {error}: {message}; the notebook with the whole "
        "traceback is {target}",
    ),
    "run.other_language": (
        "{folder} 中有以 {found} 运行的笔记本（{name}）；以 {lang} 运行的输出会覆盖它们。请为每种"
        "语言使用单独的文件夹（lbc-eval run --out DIR 会写入 DIR/{lang}）",
        "{folder} holds notebooks run in {found} ({name}); outputs of {lang} would overwrite "
        "them. Give each language its own folder (lbc-eval run --out DIR writes DIR/{lang})",
    ),
    "run.unknown_format": (
        "未知的简报格式 {formats}：可选 {choices}",
        "unknown brief format(s) {formats}: choose from {choices}",
    ),
    "run.no_format": ("（未给出）", "(none given)"),
    # --- the cohort folder of run and brief -----------------------------------------------------
    "run.make_cohort": (
        "可用 `lbc-eval synth --preset small --seed 1 --out {folder}` 生成一个（合成数据），或用 "
        "`lbc-eval ingest SCHOOL_FILES --out {folder}` 导入学校记录（见 lbc-eval ingest --help）；"
        "也可以不给 --data，使用随附的合成队列",
        "make one with `lbc-eval synth --preset small --seed 1 --out {folder}` (synthetic) or "
        "`lbc-eval ingest SCHOOL_FILES --out {folder}` (school records; see lbc-eval ingest "
        "--help), or leave out --data to use the shipped synthetic cohort",
    ),
    "run.no_folder": ("{path} 处没有队列文件夹：{make}", "no cohort folder at {path}: {make}"),
    "run.cohort_json": (
        "{path} 是一个文件：请给出它所在的文件夹，--data {folder}",
        "{path} is a file: give its folder, --data {folder}",
    ),
    "run.a_file": (
        "{path} 是文件，不是队列文件夹：请给出包含 cohort.json 的文件夹；{make}",
        "{path} is a file, not a cohort folder: give the folder that holds cohort.json; {make}",
    ),
    "run.cohort_inside": (
        "{path} 中没有队列（没有 cohort.json）；是不是 {names}？",
        "no cohort at {path} (no cohort.json); did you mean {names}?",
    ),
    "run.no_cohort": (
        "{path} 中没有队列（其中没有 cohort.json）：{make}",
        "no cohort at {path} (it holds no cohort.json): {make}",
    ),
    "run.unreadable": (
        "{path} 中的队列无法读取：{error}。请修正或重新生成该文件夹（笔记本也以同样的方式读取它）",
        "the cohort at {path} cannot be read: {error}. Fix or regenerate the folder (the "
        "notebooks read it the same way)",
    ),
    # --- lbc-eval scan --------------------------------------------------------------------------
    "scan.summary": (
        "已扫描 {files} 个文件：{found}{errors}{skipped}",
        "scanned {files} file(s): {found}{errors}{skipped}",
    ),
    "scan.found": ("发现 {counts}", "found {counts}"),
    "scan.found_nothing": ("未发现身份证号、学籍号、电话号码或名单中的姓名", "found nothing"),
    "scan.count": ("{count} 个{kind}", "{count} {kind}"),
    "scan.kind_resident_id": ("身份证号", "resident_id"),
    "scan.kind_student_number": ("学籍号", "student_number"),
    "scan.kind_phone": ("电话号码", "phone"),
    "scan.kind_name": ("姓名", "name"),
    "scan.errors": ("；{count} 个文件无法读取", "; {count} file(s) could not be read"),
    "scan.skipped": ("；{count} 项未扫描（已列出）", "; {count} skipped (not looked into, listed)"),
    "scan.skipped_line": ("{path}：未扫描：{why}", "{path}: skipped: {why}"),
    "scan.error_line": ("{path}：错误：{why}", "{path}: {why}"),
    "scan.cannot_read": (
        "lbc-eval scan：无法读取 {path}：{reason}",
        "lbc-eval scan: cannot read {path}: {reason}",
    ),
    "scan.tool_folder": ("工具文件夹，未进入", "tool folder, not walked"),
    "scan.folder_link": ("指向文件夹的链接，未跟随", "a link to a folder, not followed"),
    "scan.dead_link": ("指向不存在目标的链接", "a link to nothing"),
    "scan.image": ("扫描器不读取的图片", "an image the scanner does not read"),
    "scan.other_kind": ("扫描器不读取的文件类型", "a kind the scanner does not read"),
    "scan.too_large": (
        "大于 {limit} MB（{size} MB）：未读取",
        "larger than {limit} MB ({size} MB): not read",
    ),
    "scan.binary": ("扫描器不读取的二进制文件", "a binary file the scanner does not read"),
    "scan.images_inside": (
        "其中 {images} 张图片未读取（不读像素）",
        "{images} image(s) inside not read (pixels)",
    ),
    "scan.missing": ("文件或文件夹不存在", "no such file or folder"),
    "scan.unreadable": ("{error}：无法读取", "{error}: could not be read"),
}
