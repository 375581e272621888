"""What ``lbc-eval`` prints, Chinese and English side by side (:mod:`lbc_eval.data.messages`).

Errors, progress and summary lines of the commands (``--lang zh``, the default, or
``--lang en``), and argparse's usage errors (``cli.usage_*``: the English is argparse's own
sentence, read back by :func:`lbc_eval.cli.parser.usage_error` and written in Chinese). The
commands' ``--help`` texts are in :mod:`lbc_eval.data.messages_help`.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- every command --------------------------------------------------------------------------
    "cli.error": ("{prog}：错误：{message}", "{prog}: error: {message}"),
    "cli.interrupted": ("{prog}：已中断", "{prog}: interrupted"),
    "cli.wrote": ("已写入 {path}", "wrote {path}"),
    # --- argparse's usage errors (the English exactly as argparse writes it) ----------------------
    "cli.usage_argument": ("参数 {name}：{message}", "argument {name}: {message}"),
    "cli.usage_required": (
        "缺少必需的参数：{names}",
        "the following arguments are required: {names}",
    ),
    "cli.usage_choice": (
        "{value} 不是允许的取值（可选值：{choices}）",
        "invalid choice: {value} (choose from {choices})",
    ),
    "cli.usage_unrecognized": ("无法识别的参数：{args}", "unrecognized arguments: {args}"),
    "cli.usage_one": ("需要给出一个值", "expected one argument"),
    "cli.usage_at_most_one": ("最多只能给出一个值", "expected at most one argument"),
    "cli.usage_at_least_one": ("至少需要给出一个值", "expected at least one argument"),
    "cli.usage_count": ("需要给出 {count} 个值", "expected {count} arguments"),
    "cli.usage_type": ("{value} 不是有效的{type}", "invalid {type} value: {value}"),
    "cli.usage_not_allowed": ("不能与参数 {name} 同时使用", "not allowed with argument {name}"),
    "cli.usage_one_of": ("参数 {names} 中必须给出一个", "one of the arguments {names} is required"),
    "cli.usage_ambiguous": (
        "选项 {option} 有歧义，可能是 {matches}",
        "ambiguous option: {option} could match {matches}",
    ),
    "cli.usage_ignored": ("多余的值 {value}", "ignored explicit argument {value}"),
    # --- synth ----------------------------------------------------------------------------------
    "cli.knob_form": (
        "{text} 不是“参数=值”的形式，例如 n_children=300",
        "{text} is not of the form KNOB=VALUE, e.g. n_children=300",
    ),
    "cli.seed_in_set": (
        "请用 --seed N 给出种子，不要用 --set",
        "give the seed with --seed N, not with --set",
    ),
    "cli.unknown_knob_close": ("未知参数；是不是 {close}？", "unknown knob; did you mean {close}?"),
    "cli.unknown_knob": ("未知参数；可用的参数有 {knobs}", "unknown knob; the knobs are {knobs}"),
    "cli.knob_values": (
        "{raw} 有 {count} 个值；请给出 {wanted} 个用逗号分隔的数字（依次为父亲外出、母亲外出、"
        "父母均外出），例如 {example}",
        "{raw} has {count} value(s); give {wanted} comma-separated numbers (father, mother, "
        "both), e.g. {example}",
    ),
    "cli.not_a_number": ("{raw} 不是数字", "{raw} is not a number"),
    "cli.not_whole": ("{raw} 必须是整数", "{raw} must be a whole number"),
    "cli.messy_is_out": (
        "{messy} 就是队列文件夹本身；请另给一个文件夹，或不给（默认：{default}）",
        "{messy} is the cohort folder itself; give another folder or none (default: {default})",
    ),
    "cli.out_not_folder": ("{out} 已经存在且不是文件夹", "{out} exists and is not a folder"),
    "cli.out_not_cohort": (
        "{out} 不是空文件夹，其中也没有队列；请选择一个空的或新的文件夹",
        "{out} is not empty and holds no cohort; choose an empty or new folder",
    ),
    "cli.exits": ("离开学籍记录：", "exits: "),
    "cli.synth_cohort": ("队列：      {out}（{format}）", "cohort:       {out} ({format})"),
    "cli.synth_files": (
        "学校文件：  {folder}（{files} 个文件）",
        "school files: {folder} ({files} files)",
    ),
    "cli.synth_stale": (
        "注意：{folder} 是之前运行留下的，与本队列不对应",
        "note: {folder} is left from an earlier run; it does not match this cohort",
    ),
    "cli.synth_took": (
        "用时 {total} 秒（模拟 {simulate} 秒，写入 {write} 秒{files}）",
        "took {total} s (simulate {simulate} s, write {write} s{files})",
    ),
    "cli.synth_took_files": ("，学校文件 {seconds} 秒", ", school files {seconds} s"),
    "cli.synth_reproduce": ("复现命令：  {command}", "reproduce:    {command}"),
    # --- ingest and template --------------------------------------------------------------------
    "cli.not_pairs": (
        "{value} 不是 FILE=VALUE（文件=值）的形式（也可以只给一个值，用于所有文件）",
        "{value} is not FILE=VALUE (or one VALUE for every file)",
    ),
    "cli.seed_or_key": (
        "--synthetic-seed 和 --key-file 只能给出一个",
        "give either --synthetic-seed or --key-file",
    ),
    "cli.key_in_out": (
        "密钥不能放在输出文件夹中",
        "the key must not be kept inside the output folder",
    ),
    "cli.create_key_file": (
        "请用 --key-file PATH 指定新密钥文件的位置",
        "name the new key file with --key-file PATH",
    ),
    "cli.create_key_over_cohort": (
        "{out} 中的队列是用指纹为 {fingerprint} 的密钥生成的；新密钥会给每名儿童一个新的化名。"
        "请使用原来的密钥；如确需新密钥，请加 --new-key",
        "{out} holds a cohort made with the key of fingerprint {fingerprint}; a new key gives "
        "every child a new pseudonym. Use that key, or add --new-key if a new key is intended",
    ),
    "cli.synthetic_key": (
        "注意：使用合成数据种子 {seed} 的公开密钥：仅限合成数据",
        "note: the public key of synthetic seed {seed}: synthetic data only",
    ),
    "cli.created_key": (
        "已创建密钥文件 {path}（权限 600）：请妥善保管，放在代码仓库之外；下次使用同一密钥会得到"
        "相同的化名",
        "created key file {path} (mode 600): keep it safe and outside the repository; the same "
        "key gives the same pseudonyms next time",
    ),
    "cli.key_from_env": ("使用环境变量 ${env} 中的密钥", "using the key in ${env}"),
    "cli.new_key": (
        "注意：--new-key：指纹为 {fingerprint} 的密钥会生成新的化名",
        "note: --new-key: the key of fingerprint {fingerprint} gives new pseudonyms",
    ),
    "cli.ingest_written": (
        "已写入 {out}：队列（{format}）、quarantine.csv、warnings.csv、report.csv、report.txt、"
        "manifest.json",
        "written to {out}: cohort ({format}), quarantine.csv, warnings.csv, report.csv, "
        "report.txt, manifest.json",
    ),
    "cli.ingest_failed": (
        "错误：{files} 个文件未能读取，行数相符：{adds_up}（见 report.txt 和 quarantine.csv）",
        "error: {files} file(s) not read, rows add up: {adds_up} (see report.txt and "
        "quarantine.csv)",
    ),
    # --- run, brief and scan --------------------------------------------------------------------
    "cli.unsafe_outputs": (
        "输出中有可能识别儿童的值（已在上面列出并隐藏）；请勿共享。请修正笔记本或数据后重新运行",
        "the outputs hold values that may identify a child (listed above, masked); do not share "
        "them. Fix the notebook or the data, then run again",
    ),
    "cli.scanned": (
        "已扫描 {files} 个输出文件：没有发现可识别儿童的信息",
        "scanned {files} output file(s): nothing that identifies a child",
    ),
    "cli.brief_rendering": ("简报（{lang}）：正在生成……", "brief ({lang}): rendering ..."),
    "cli.ran": (
        "已运行 {notebooks} 个笔记本，用时 {seconds} 秒；输出在 {out}",
        "ran {notebooks} notebook(s) in {seconds} s; outputs in {out}",
    ),
    "cli.seconds": ("{seconds} 秒", "{seconds} s"),
    "cli.brief": ("简报：{path}", "brief: {path}"),
    "cli.brief_word": ("简报（Word）：{path}", "brief (Word): {path}"),
    # --- pilot ----------------------------------------------------------------------------------
    "cli.pilot_assigned": (
        "已随机分配 {schools} 所学校（{strata} 层）：对照组 {control} 所，干预组 {treated} 所；"
        "种子 {seed}",
        "randomised {schools} schools ({strata} strata): {control} control, {treated} "
        "treatment; seed {seed}",
    ),
    "cli.pilot_rerandomised": (
        "重复随机化：阈值 {threshold}，共尝试 {tried} 次",
        "re-randomised: threshold {threshold}, {tried} candidates tried",
    ),
    "cli.pilot_balance": (
        "最大标准化差异 {worst}；{outcome:label}的最小可检出效应 {mde} 个标准差",
        "largest |standardised difference| {worst}; MDE of {outcome:label} {mde} SD",
    ),
    "cli.pilot_note": ("说明：{note}", "note: {note}"),
    "cli.pilot_registered": (
        "已登记预分析计划，哈希值（SHA-256）：{hash}",
        "registered the pre-analysis plan, hash (SHA-256): {hash}",
    ),
    "cli.pilot_power": (
        "最小可检出效应 {mde} 个标准差；拟检出 {effect} 时检验效能 {power}",
        "MDE {mde} SD; power {power} at the effect of interest {effect}",
    ),
    "cli.pilot_itt": (
        "{outcome:label}：意向处理效应 {estimate}（{sd} 个标准差），95% 置信区间 [{low}, {high}]，"
        "随机化推断 p = {p}，校正后 p = {p_adjusted}",
        "{outcome:label}: ITT {estimate} ({sd} SD), 95% interval [{low}, {high}], "
        "randomisation p = {p}, adjusted p = {p_adjusted}",
    ),
    "cli.pilot_attrition_within": (
        "样本流失：符合登记的规则（{message}）",
        "attrition: within the registered rule ({message})",
    ),
    "cli.pilot_attrition_outside": (
        "样本流失：不符合登记的规则（{message}）",
        "attrition: outside the registered rule ({message})",
    ),
    "cli.pilot_no_deviation": ("与登记的计划没有偏离", "no deviation from the registered plan"),
    "cli.pilot_deviation": ("偏离：{message}", "deviation: {message}"),
    "cli.pilot_wrote": ("已写入 {out}（{files}）", "wrote {files} to {out}"),
}
