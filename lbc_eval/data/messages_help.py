"""The ``--help`` of ``lbc-eval``, Chinese and English side by side (:mod:`lbc_eval.data.messages`).

Every ``help=``, ``description=`` and ``epilog=`` of the commands' parsers, by command and
option: ``help.synth`` is what ``lbc-eval --help`` says of ``synth``, ``help.synth.description``
and ``help.synth.epilog`` what ``lbc-eval synth --help`` says above and below its options,
``help.synth.seed`` the help of ``--seed``. The help is in the command's language
(:mod:`lbc_eval.cli.parser`): Chinese unless the command line holds ``--lang en``. A text may
hold argparse's ``%(default)s``; a literal percent sign is written ``%%``. Descriptions and
epilogs of commands whose parser keeps their lines are written with their line breaks.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- every command --------------------------------------------------------------------------
    "help.help": ("显示此帮助并退出", "show this help message and exit"),
    "help.version": ("显示程序的版本号并退出", "show program's version number and exit"),
    "help.lang": (
        "消息的语言：zh（中文，默认）或 en",
        "language of the messages: zh (Chinese, the default) or en",
    ),
    "help.commands": ("命令", "commands"),
    "help.description": (
        "评估对农村留守儿童的帮扶：已知真值的合成数据队列、代码本、导入学校保存的记录、"
        "分析笔记本、证据简报，以及对外共享前的隐私扫描。",
        "Evaluate support for rural left-behind children: synthetic cohorts with known truth, "
        "the codebook, ingest of the records schools keep, the notebooks, the brief, and a "
        "privacy scan of what is shared.",
    ),
    # --- synth ----------------------------------------------------------------------------------
    "help.synth": ("模拟一个合成数据队列并写出", "simulate a synthetic cohort and write it"),
    "help.synth.description": (
        "模拟一个已知真值的合成数据队列（lbc_eval.simulate），写入文件夹\n"
        "（按学期分区的 Parquet，或 CSV），并显示其概况和复现它的命令\n"
        "（同时保存为文件夹中的 {made_by}）。",
        "Simulate a synthetic cohort with known truth (lbc_eval.simulate), write it\n"
        "to a folder (Parquet partitioned by term, or CSV), and print its summary and the\n"
        "command that reproduces it (also saved as {made_by} in the folder).",
    ),
    "help.synth.epilog": (
        "示例：\n"
        "  lbc-eval synth --preset county --seed 3 --out out/county3\n"
        "  lbc-eval synth --preset small --seed 3 --out out/s3 --set n_children=500 "
        "--set gap_math=-0.02,-0.02,-0.15\n"
        "  lbc-eval synth --preset small --seed 3 --out out/s3 --messy\n"
        "  lbc-eval synth --preset national --seed 3 --out /data/national "
        "--set n_provinces=4\n"
        "各参数及其取值范围和来源：lbc_eval.SynthSpec.knobs() 或 docs/knobs.md。",
        "examples:\n"
        "  lbc-eval synth --preset county --seed 3 --out out/county3\n"
        "  lbc-eval synth --preset small --seed 3 --out out/s3 --set n_children=500 "
        "--set gap_math=-0.02,-0.02,-0.15\n"
        "  lbc-eval synth --preset small --seed 3 --out out/s3 --messy\n"
        "  lbc-eval synth --preset national --seed 3 --out /data/national "
        "--set n_provinces=4\n"
        "The knobs, their ranges and sources: lbc_eval.SynthSpec.knobs() or docs/knobs.md.",
    ),
    "help.synth.preset": (
        "队列规模：small（3,000 名儿童）、county（30,000）、province（1,000,000）、"
        "national（14 个省，每省 1,000,000，逐省写出；约 1.07 亿个儿童-学期）",
        "size of the cohort: small (3,000 children), county (30,000), province "
        "(1,000,000), national (14 provinces of 1,000,000, written province by province; "
        "about 107 million child-terms)",
    ),
    "help.synth.seed": (
        "随机种子；同一命令写出的文件逐字节相同",
        "random seed; the same command writes the same bytes",
    ),
    "help.synth.out": (
        "队列文件夹（会新建；其中已有的队列会被替换）",
        "cohort folder (created; a cohort already there is replaced)",
    ),
    "help.synth.format": ("表格格式（默认：parquet）", "table format (default: parquet)"),
    "help.synth.messy": (
        "同时把队列写成学校交来的那种不规整的文件（默认文件夹：队列文件夹中的 {school_files}/）",
        "also write the cohort as the messy files schools hand in "
        "(default folder: {school_files}/ in the cohort folder)",
    ),
    "help.synth.set": (
        "修改生成器的一个参数，例如 --set n_children=300 或 "
        "--set gap_math=-0.02,-0.02,-0.15（可重复）",
        "override a knob of the generator, e.g. --set n_children=300 or "
        "--set gap_math=-0.02,-0.02,-0.15 (repeatable)",
    ),
    "help.synth.quiet": ("不显示进度条", "no progress bars"),
    # --- codebook -------------------------------------------------------------------------------
    "help.codebook": (
        "写出代码本（codebook.csv、codebook.md）和参数说明页",
        "write the codebook (codebook.csv, codebook.md) and the knobs page",
    ),
    "help.codebook.description": (
        "把代码本写成 codebook.csv（带 BOM 的 UTF-8，便于 Excel 打开）和 codebook.md，"
        "并把生成器的参数写成 knobs.md（docs/ 中有提交的副本：lbc-eval codebook --out docs）。",
        "Write the codebook as codebook.csv (UTF-8 with BOM, for Excel) and "
        "codebook.md, and the generator's knobs as knobs.md (docs/ holds the committed copies: "
        "lbc-eval codebook --out docs).",
    ),
    "help.codebook.out": ("要写入的文件夹", "folder to write to"),
    # --- ingest ---------------------------------------------------------------------------------
    "help.ingest": (
        "把学校的调查表导入为化名处理后的队列",
        "ingest school workbooks into a pseudonymised cohort",
    ),
    "help.ingest.description": (
        "读取学校交来的调查表（Excel 工作簿和 CSV，以及教育局的培训表和务工地表），\n"
        "用密钥为每名儿童生成化名，写出队列以及 quarantine.csv、warnings.csv、\n"
        "report.csv、report.txt 和 manifest.json。读入的每一行，不是进入队列，\n"
        "就是被隔离。",
        "Read the survey workbooks and CSVs schools hand in (and the bureau's\n"
        "training and destination tables), pseudonymise every child with a secret key, and\n"
        "write the cohort with quarantine.csv, warnings.csv, report.csv, report.txt and\n"
        "manifest.json. Every row read ends in the cohort or the quarantine.",
    ),
    "help.ingest.epilog": (
        "示例：\n"
        "  lbc-eval ingest ~/records/2024 --out ~/lbc/cohort --key-file ~/lbc/key --create-key\n"
        "  lbc-eval ingest a.xlsx b.csv --out ~/lbc/c --key-file ~/lbc/key --school a.xlsx=S01\n"
        "  LBC_EVAL_KEY=... lbc-eval ingest ~/records --out ~/lbc/cohort\n"
        "  lbc-eval ingest out/s3/school_files --out /tmp/s3 --synthetic-seed 3\n"
        "原因代码：docs/ingest.md。",
        "examples:\n"
        "  lbc-eval ingest ~/records/2024 --out ~/lbc/cohort --key-file ~/lbc/key --create-key\n"
        "  lbc-eval ingest a.xlsx b.csv --out ~/lbc/c --key-file ~/lbc/key --school a.xlsx=S01\n"
        "  LBC_EVAL_KEY=... lbc-eval ingest ~/records --out ~/lbc/cohort\n"
        "  lbc-eval ingest out/s3/school_files --out /tmp/s3 --synthetic-seed 3\n"
        "Reason codes: docs/ingest.md.",
    ),
    "help.ingest.lang": (
        "消息、report.txt 以及隔离文件和警告文件的语言：zh（中文，默认）或 en",
        "language of the messages, of report.txt and of the quarantine and warnings files: "
        "zh (Chinese, the default) or en",
    ),
    "help.ingest.paths": ("文件和文件夹", "files and folders"),
    "help.ingest.out": (
        "输出文件夹（须在任何 git 工作目录之外）",
        "output folder (outside any git working tree)",
    ),
    "help.ingest.key_file": (
        "密钥文件（十六进制，权限 600）；不给时使用 $LBC_EVAL_KEY",
        "the secret key (hex, mode 600); else $LBC_EVAL_KEY",
    ),
    "help.ingest.create_key": (
        "先创建密钥文件（不会覆盖已有的密钥文件）",
        "create the key file first (refuses to overwrite one)",
    ),
    "help.ingest.synthetic_seed": (
        "使用合成数据种子 N 的公开密钥（仅限合成数据）",
        "use the public key of synthetic seed N (synthetic data only)",
    ),
    "help.ingest.new_key": (
        "确认要使用与 --out 中队列不同的密钥（每名儿童会得到新的化名）；不给则拒绝",
        "a key other than the one that made the cohort in --out is "
        "intended (every child gets a new pseudonym); refused otherwise",
    ),
    "help.ingest.school": (
        "没有“学校”列的文件所属的学校（可重复；只给一个代码时适用于所有文件）",
        "school of a file without a 学校 column (repeatable; a bare ID applies to every file)",
    ),
    "help.ingest.term": (
        "没有“学期”列的文件所属的学期（如 2024-1）（可重复）",
        "term (2024-1) of a file without a 学期 column (repeatable)",
    ),
    "help.ingest.student_no_header": (
        "文件中没有学籍号或身份证号时，把这一列当作学籍号读取，例如 --student-no-header "
        "a.xlsx=学号，但只有当其中的学号是每名儿童自己的编号、而不是班内学号时才可以"
        "（可重复；只给一个表头时适用于所有文件）",
        "read this column as the student number (学籍号) where a "
        "file has no 学籍号 or 身份证号, e.g. --student-no-header "
        "a.xlsx=学号 only if its 学号 is each child's own number, not a "
        "class roll number (repeatable; a bare HEADER applies to "
        "every file)",
    ),
    "help.ingest.engine": ("xlsx 读取器（默认：calamine）", "xlsx reader (default: calamine)"),
    "help.ingest.on_invalid": (
        "可选字段的值无法读取时，隔离该行（默认），或置为缺失并给出警告",
        "an unreadable optional value quarantines the row (default) or "
        "is set missing with a warning",
    ),
    "help.ingest.format": (
        "队列表格格式（默认：parquet）",
        "cohort table format (default: parquet)",
    ),
    "help.ingest.allow_inside_repo": (
        "允许把输出和密钥放在 git 工作目录之内（合成数据）",
        "allow outputs and key inside a git working tree (synthetic data)",
    ),
    "help.ingest.reject_synthetic_ids": (
        "把合成数据的省份代码 99 视为无效",
        "treat the synthetic province code 99 as invalid",
    ),
    "help.ingest.quiet": ("不显示进度条", "no progress bar"),
    # --- template -------------------------------------------------------------------------------
    "help.template": (
        "写出供学校填写的 Excel 调查表",
        "write the Excel survey form schools should fill in",
    ),
    "help.template.description": (
        "写出调查表：代码本的中文表头、分类字段的下拉列表、计数字段的数值检查和一张\n"
        "填写说明表。按说明填写的调查表导入时不会有被隔离的行。",
        "Write the survey form: the codebook's Chinese headers, drop-down lists\n"
        "for categories, number checks for counts and an instructions sheet. Filled in as\n"
        "instructed, it ingests with no quarantined row.",
    ),
    "help.template.out": ("要写入的文件", "file to write"),
    "help.template.school": ("写入调查表的学校代码", "school code written into the form"),
    "help.template.term": (
        "写入调查表的学期（如 2024-1）",
        "term written into the form (2024-1)",
    ),
    # --- run and brief --------------------------------------------------------------------------
    "help.report.data": (
        "队列文件夹（默认：随包提供的合成数据队列）",
        "cohort folder (default: the shipped synthetic cohort)",
    ),
    "help.report.out": (
        "输出文件夹；每种语言写入各自的子文件夹 DIR/zh 或 DIR/en",
        "output folder; each language is written to its own subfolder, DIR/zh or DIR/en",
    ),
    "help.report.lang": (
        "标签、简报和消息的语言（默认：zh；选 both 时消息为中文）",
        "language of labels, of the brief and of the messages (default: zh; with both, "
        "the messages are in Chinese)",
    ),
    "help.report.seed": ("自助法的种子（默认 0）", "bootstrap seed (default 0)"),
    "help.run": (
        "在队列上运行分析笔记本并写出简报",
        "execute the notebooks on a cohort and write the brief",
    ),
    "help.run.description": (
        "用 papermill 在队列上运行每个编号的笔记本，写出运行后的笔记本和每个笔记本的\n"
        "独立 HTML 页面，生成证据简报，并扫描写出的所有文件中可能识别儿童身份的值。",
        "Execute every numbered notebook on a cohort with papermill, write the\n"
        "executed notebooks and a self-contained HTML page of each, render the evidence brief,\n"
        "and scan everything written for values that could identify a child.",
    ),
    "help.run.epilog": (
        "输出（每种语言一个文件夹，中文和英文不会互相覆盖）：\n"
        "  DIR/LANG/notebooks/NN_*.ipynb   运行后的笔记本\n"
        "  DIR/LANG/html/NN_*.html         每个笔记本的独立 HTML 页面\n"
        "  DIR/LANG/brief_LANG.html        证据简报（除非给出 --no-brief）\n"
        "  DIR/LANG/*.csv                  笔记本导出的表格\n"
        "每个笔记本开始和结束时各显示一行，运行期间每 30 秒显示一行。\n"
        "\n"
        "示例：\n"
        "  lbc-eval run --out out/run                # 随包提供的合成数据队列，写入 out/run/zh\n"
        "  lbc-eval run --out out/run --lang en --notebooks 05     # 英文简报，写入 out/run/en\n"
        "  lbc-eval run --data ~/lbc/cohort --out ~/lbc/run --lang en\n"
        "真实队列的输出必须写在代码仓库之外。",
        "outputs (one folder per language, so Chinese and English never overwrite each "
        "other):\n"
        "  DIR/LANG/notebooks/NN_*.ipynb   the executed notebooks\n"
        "  DIR/LANG/html/NN_*.html         each as a self-contained HTML page\n"
        "  DIR/LANG/brief_LANG.html        the evidence brief (unless --no-brief)\n"
        "  DIR/LANG/*.csv                  tables the notebooks export\n"
        "A line is printed as each notebook starts and ends, and every 30 s while one runs.\n"
        "\n"
        "examples:\n"
        "  lbc-eval run --out out/run                # shipped synthetic cohort, into out/run/zh\n"
        "  lbc-eval run --out out/run --lang en --notebooks 05     # English brief, out/run/en\n"
        "  lbc-eval run --data ~/lbc/cohort --out ~/lbc/run --lang en\n"
        "Outputs of real cohorts must be written outside the repository.",
    ),
    "help.run.notebooks": (
        "只运行名称以这些编号开头的笔记本（例如 01 04）；未知的编号会报错并列出所有笔记本",
        "only the notebooks whose names start with these (e.g. 01 04); an unknown one is "
        "an error that lists the notebooks",
    ),
    "help.run.no_brief": ("不生成简报", "do not render the brief"),
    "help.run.allow_inside_repo": (
        "允许把真实队列的输出放在 git 工作目录之内",
        "allow a real cohort's outputs inside a git working tree",
    ),
    "help.brief": ("生成证据简报（HTML，不含代码）", "render the evidence brief (HTML, no code)"),
    "help.brief.description": (
        "把工作计划笔记本生成为不含代码的独立 HTML 简报（内嵌字体，无需联网），\n"
        "中文或英文，写为 DIR/LANG/brief_LANG.html；如果 DIR/LANG 中还没有\n"
        "运行过该笔记本，先运行它。",
        "Render the work-plan notebook as a self-contained HTML brief without code\n"
        "(fonts embedded, no network), in Chinese or English, as DIR/LANG/brief_LANG.html;\n"
        "runs the notebook into DIR/LANG first if that folder does not hold it yet.",
    ),
    # --- scan -----------------------------------------------------------------------------------
    "help.scan": (
        "查找文件中的身份证号、电话号码、学籍号和姓名",
        "find IDs, phone numbers, student numbers and names in files",
    ),
    "help.scan.description": (
        "在对外共享之前，查找笔记本、HTML、CSV、Excel 和 Parquet 文件（及其文件名）中的"
        "身份证号、学籍号、电话号码和名单中的姓名。",
        "Find resident IDs, student numbers, phone numbers and listed names in "
        "notebooks, HTML, CSV, Excel and Parquet files (and their names) before they are shared.",
    ),
    "help.scan.paths": ("要扫描的文件或文件夹", "files or folders to scan"),
    "help.scan.names": (
        "姓名文件（UTF-8，每行一个姓名）",
        "a UTF-8 file of names, one a line",
    ),
    "help.scan.include_synthetic": (
        "也报告合成数据的身份证号（省份代码 99）",
        "also report synthetic IDs (province code 99)",
    ),
    "help.scan.allow": (
        "要忽略的值的摘要文件（每行一个 sha256:<hex>）",
        "a file of sha256:<hex> digests of values to ignore",
    ),
    "help.scan.max_mb": ("跳过更大的文件（默认 512）", "skip larger files (default 512)"),
    "help.scan.quiet": ("只显示汇总", "print the summary only"),
    # --- pilot ----------------------------------------------------------------------------------
    "help.pilot": (
        "为明年的试点随机分配学校、登记其分析计划、按登记的计划分析",
        "randomise next year's pilot, register its analysis, analyse it as registered",
    ),
    "help.pilot.description": (
        "明年的试点：把学校分配到各组，登记预分析计划（及其哈希值），\n"
        "并完全按照登记的计划分析试点学年。",
        "Next year's pilot: assign schools to arms, register the pre-analysis\n"
        "plan (with its hash), and analyse the pilot year exactly as registered.",
    ),
    "help.pilot.steps": ("步骤", "steps"),
    "help.pilot.assign": (
        "对队列基线学期的学校做随机分配",
        "randomise the schools of a cohort's baseline term",
    ),
    "help.pilot.assign.description": (
        "在各层内对队列的学校做随机分配，并给出平衡表；给出 --rerandomize 时\n"
        "重复随机化，直到满足平衡；最小可检出效应超过 --max-mde 的设计会被拒绝，\n"
        "除非给出 --allow-large-mde。\n\n"
        "示例：\n  lbc-eval pilot assign --seed 2025 --rerandomize 0.2 --out pilot/assignment",
        "Randomise the cohort's schools within strata, with a balance table;\n"
        "re-randomise until balance holds with --rerandomize; refuse a design whose MDE\n"
        "exceeds --max-mde unless --allow-large-mde.\n\n"
        "example:\n  lbc-eval pilot assign --seed 2025 --rerandomize 0.2 --out pilot/assignment",
    ),
    "help.pilot.assign.data": (
        "队列文件夹（默认：随包提供的队列）",
        "cohort folder (default: the shipped one)",
    ),
    "help.pilot.assign.seed": ("随机分配的种子", "the assignment's seed"),
    "help.pilot.assign.out": ("随机分配结果的文件夹", "folder for the assignment"),
    "help.pilot.assign.strata": (
        "分层所依据的列，或 none（不分层）",
        "column to stratify on, or none",
    ),
    "help.pilot.assign.share": ("干预组学校的比例", "share of schools treated"),
    "help.pilot.assign.balance_on": ("学校层面的协变量", "school-level covariates"),
    "help.pilot.assign.rerandomize": (
        "重复随机化，直到每个 |标准化差异| <= T",
        "re-randomise until every |standardised difference| <= T",
    ),
    "help.pilot.assign.max_mde": (
        "拒绝最小可检出效应大于 X 个标准差的设计",
        "refuse an MDE above X SD",
    ),
    "help.pilot.assign.allow_large_mde": ("即便如此也进行随机分配", "randomise even so"),
    "help.pilot.assign.outcome": (
        "计算最小可检出效应所用的结果变量（sdq_total）",
        "outcome of the MDE (sdq_total)",
    ),
    "help.pilot.assign.term": (
        "基线学期（默认：队列的最后一个学期）",
        "baseline term (default: the cohort's last)",
    ),
    "help.pilot.plan": (
        "登记一次随机分配的预分析计划",
        "register the pre-analysis plan of an assignment",
    ),
    "help.pilot.plan.description": (
        "写出 spec.json（机器可读的计划及其 SHA-256）和中英文的计划\n"
        "（Markdown、HTML、Word）。\n\n"
        "示例：\n  lbc-eval pilot plan --assignment pilot/assignment --outcome sdq_total "
        "--effect 0.2 --out pilot/plan",
        "Write spec.json (the machine-readable plan and its SHA-256) and the plan\n"
        "in Chinese and English (Markdown, HTML, Word).\n\n"
        "example:\n  lbc-eval pilot plan --assignment pilot/assignment --outcome sdq_total "
        "--effect 0.2 --out pilot/plan",
    ),
    "help.pilot.plan.assignment": ("pilot assign 的输出文件夹", "from pilot assign"),
    "help.pilot.plan.outcome": ("主要结果变量", "primary outcome"),
    "help.pilot.plan.effect": ("关注的效应（以标准差计）", "effect of interest (SD)"),
    "help.pilot.plan.secondary": ("次要结果变量", "secondary outcomes"),
    "help.pilot.plan.intervention": (
        "pairing、counselling、family_guidance、publicity，或一段文字",
        "pairing, counselling, family_guidance, publicity, or a text",
    ),
    "help.pilot.plan.method": ("多重检验的校正方法", "family-wise adjustment"),
    "help.pilot.plan.reps": ("野自助法的抽样次数", "wild bootstrap draws"),
    "help.pilot.plan.ri_reps": ("随机化推断的抽样次数", "randomisation-inference draws"),
    "help.pilot.plan.data": (
        "随机分配结果中没有该结果变量的最小可检出效应时，用于估计组内相关系数的队列",
        "cohort for the ICCs when the assignment has no MDE of the outcome",
    ),
    "help.pilot.plan.out": ("计划的文件夹", "folder for the plan"),
    "help.pilot.analyse": (
        "完全按照登记的计划分析试点学年",
        "analyse the pilot year exactly as registered",
    ),
    "help.pilot.analyse.description": (
        "在试点学年的队列上运行登记的分析：含层固定效应和基线结果的意向处理效应\n"
        "（ITT），与聚类稳健和野自助法 p 值并列的随机化推断 p 值，多重检验校正，\n"
        "各组的样本流失，以及与计划的每一处偏离。\n\n"
        "示例：\n  lbc-eval pilot analyse --data ~/lbc/2025 --spec pilot/plan/spec.json "
        "--out pilot/result",
        "Run the registered analysis on the pilot year's cohort: ITT with strata\n"
        "fixed effects and the baseline outcome, randomisation-inference p-values beside the\n"
        "cluster-robust and wild-bootstrap ones, the family-wise adjustment, attrition by arm\n"
        "and every deviation from the plan.\n\n"
        "example:\n  lbc-eval pilot analyse --data ~/lbc/2025 --spec pilot/plan/spec.json "
        "--out pilot/result",
    ),
    "help.pilot.analyse.data": ("试点学年的队列文件夹", "the pilot year's cohort folder"),
    "help.pilot.analyse.spec": ("spec.json（或其所在文件夹）", "spec.json (or its folder)"),
    "help.pilot.analyse.out": ("结果的文件夹", "folder for the results"),
    "help.pilot.analyse.hash": ("登记时公布的哈希值", "the hash published at registration"),
    "help.pilot.analyse.delivered": (
        "实际实施情况：school_id,arm（学校代码和实际所在组）",
        "school_id,arm actually delivered",
    ),
}
