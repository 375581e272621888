"""Ingest's words, Chinese and English side by side (the catalogue: :mod:`lbc_eval.data.messages`).

``REASONS`` and ``FIXES`` say what each reason code and routine fix of ingest means
(:mod:`lbc_eval.ingest.problems` lists the codes and their severities); ``MESSAGES`` hold the
messages of the quarantine and the warnings and of reading files (``ingest.*``: they name the
column and what to do, never a value). The errors of the key and the output folder and the
lines of ``report.txt`` are in :mod:`lbc_eval.data.messages_output`. Fields are
:meth:`str.format` fields, the same in both languages.
"""

from __future__ import annotations

#: Reason code -> what it means (zh, en).
REASONS: dict[str, tuple[str, str]] = {
    "file_empty": ("文件中没有任何有内容的单元格", "the file holds no cell with a value"),
    "file_type": (
        "不是 xlsx、xls 或 csv 文件（例如扩展名为 .xls 的网页、PDF）",
        "not an xlsx/xls/csv file (an HTML page named .xls, a PDF, …)",
    ),
    "file_unreadable": (
        "工作簿已损坏、不完整或设有密码",
        "a damaged, truncated or password-protected workbook",
    ),
    "encoding_unknown": (
        "文本文件的编码既不是 UTF-8，也不是 GBK/GB18030",
        "a text file that is neither UTF-8 nor GBK/GB18030",
    ),
    "duplicate_file": (
        "与前面某个输入文件内容完全相同，不再重复读取",
        "the same bytes (SHA-256) as an earlier input; not read again",
    ),
    "header_not_found": (
        "表格开头几行中找不到表头，所有非空行均被隔离",
        "no row near the top names two codebook columns; every non-blank row is quarantined",
    ),
    "missing_column": (
        "缺少必填列，该表所有行均被隔离",
        "a required column is absent; every row of the table is quarantined",
    ),
    "roll_number_only": (
        "唯一的学生编号是班内学号（不是学籍号），无法关联儿童",
        "the only identifier is 学号, a class roll number (not the 学籍号): rows cannot be linked",
    ),
    "school_unknown": ("无法确定调查表所属学校", "the survey's school is unknown"),
    "term_unknown": ("无法确定调查表所属学期", "the survey's term is unknown"),
    "unknown_column": (
        "代码本中没有的表头，该列未读取",
        "a header the codebook does not know; its cells are not read",
    ),
    "roll_number_ignored": (
        "班内学号列（不是学籍号），未读取，也不用来关联儿童",
        "a 学号 column (a class roll number, not the 学籍号): not read, never used to link",
    ),
    "duplicate_column": (
        "同一代码本列出现了第二列，未读取",
        "a second column for the same codebook column; not read",
    ),
    "sheet_skipped": ("工作表中没有数据表，未读取", "a sheet without a table; not read"),
    "sheet_hidden": (
        "隐藏的工作表中有数据表，未读取",
        "a hidden sheet that holds a table; not read",
    ),
    "school_no_record": (
        "调查中的学校在培训记录中没有记录",
        "a surveyed school has no training record",
    ),
    "footer_row": ("表格下方的合计、签名或备注行", "totals, signatures or notes below the table"),
    "repeated_header": (
        "数据中间重复出现的表头（打印分页所致）",
        "the header repeated inside the data (printed page breaks)",
    ),
    "missing_value": ("必填项未填写", "a required value is blank"),
    "not_a_number": ("应填数字处填了文字", "text where a number belongs"),
    "not_integer": ("应填整数处填了小数", "a fraction where a whole number belongs"),
    "out_of_range": ("数值超出代码本规定的范围", "a number outside the codebook's range"),
    "share_ambiguous": (
        "比例列中的数字无法判断是小数还是百分数",
        "a share that may be a fraction or a percentage (1.5: 1.5 % or 150 %?)",
    ),
    "unknown_label": (
        "代码本中没有的类别、是否或年级",
        "a category, yes/no or grade the codebook does not list",
    ),
    "bad_date": ("出生日期不是有效日期", "a birth date that is not a date"),
    "bad_term": ("学期的写法无法识别", "a term that is not a school term"),
    "id_length": ("证件号码位数不对", "an identifier of the wrong length"),
    "id_format": (
        "证件号码格式不对（应为 17 位数字加 1 位数字或 X）",
        "not 17 digits and a digit or X",
    ),
    "id_province": ("证件号码开头不是任何省份的代码", "no such province code"),
    "id_birth_date": ("证件号码中的出生日期无效", "the ID's birth date is not a date"),
    "id_checksum": (
        "证件号码校验位不对（可能输错）",
        "the check character is wrong (a typing slip)",
    ),
    "id_precision_lost": (
        "证件号码被存成了数字，Excel 只保留了 15 位",
        "an ID stored as a number: Excel kept only 15 digits",
    ),
    "id_mismatch": (
        "学籍号中的身份证号与身份证号列不一致",
        "the student number's ID part differs from the resident ID",
    ),
    "sex_mismatch": (
        "填写的性别与身份证号不一致",
        "the sex written differs from the resident ID's",
    ),
    "birth_year_mismatch": (
        "填写的出生年份与身份证号不一致",
        "the birth year written differs from the resident ID's",
    ),
    "grade_age": (
        "年级与年龄不符（9 月 1 日的年龄减去年级不在 3 到 10 之间）",
        "age at 1 September minus grade is outside [3, 10]",
    ),
    "duplicate_row": (
        "与前面某一行完全相同（保留前一行）",
        "an exact copy of an earlier row (the first is kept)",
    ),
    "duplicate_key": (
        "同一儿童同一学期（同一学校同一年、同一务工地）的几行内容不一致，均不采用",
        "rows that disagree for one child and term (school and year; destination): all quarantined",
    ),
    "class_unparsed": (
        "班级的写法无法识别，班级编号留空",
        "a class the kit cannot read: class_id left missing",
    ),
    "destination_unknown": (
        "务工地不在务工地表中，已置为缺失",
        "a destination not in the destinations table: set missing",
    ),
    "formula_no_value": (
        "公式没有保存计算结果，该值缺失",
        "a formula saved without its result: the value is missing, not 0",
    ),
    "cell_error": (
        "单元格是 Excel 错误值（#DIV/0!、#N/A 等），该值缺失",
        "an error cell (#DIV/0!, #N/A …): the value is missing",
    ),
    "free_text_unmatched": (
        "填写的乡镇或学校无法识别",
        "a township or school typed that matches none known",
    ),
    "score_unstandardised": (
        "原始分数无法标准化，成绩已置为缺失",
        "raw marks that cannot be standardised: the score is set missing",
    ),
}

#: Fix code -> what was repaired (zh, en).
FIXES: dict[str, tuple[str, str]] = {
    "fullwidth": ("全角字符改为半角", "full-width characters made half-width"),
    "whitespace": ("去掉多余的空格", "spaces trimmed"),
    "zero_word": ("“无”“-”等读作 0", "无, - … read as 0"),
    "blank_as_zero": ("空白的帮扶次数读作 0", "a blank support count read as 0"),
    "missing_word": ("“缺考”“NA”等读作缺失", "缺考, NA … read as missing"),
    "percent": ("百分数换算为比例", "percentages read as shares"),
    "unit_in_cell": ("去掉数字后面的单位（如“3次”）", "a unit after the number dropped (3次)"),
    "excel_serial": ("Excel 日期序号读作日期", "Excel date serial numbers read as dates"),
    "sex_from_id": ("性别由身份证号得出", "sex taken from the resident ID"),
    "birth_year_from_id": ("出生年份由身份证号得出", "birth year taken from the resident ID"),
    "student_no_from_id": (
        "没有学籍号时由身份证号生成（G + 身份证号）",
        "no student number: G + the resident ID",
    ),
    "student_no_prefixed": (
        "学籍号列中的身份证号前加上 G",
        "a bare resident ID in the student-number column prefixed with G",
    ),
    "id_unwrapped": (
        '去掉证件号码外面的 ="…"、单引号或不可见字符',
        '="…", a leading \' or invisible characters removed around an identifier',
    ),
    "township_from_schools": (
        "乡镇由学校的培训记录补上",
        "township taken from the school's training records",
    ),
    "score_standardised": (
        "原始分数按年级和学期标准化",
        "raw marks standardised within grade and term",
    ),
}

MESSAGES: dict[str, tuple[str, str]] = {
    # --- a cell of a column ({what}: the column's label) -----------------------------------------
    "ingest.missing_value": ("“{what}”是必填项，但未填写", "{what} is required but blank"),
    "ingest.not_a_number": ("“{what}”应填数字", "{what} must be a number"),
    "ingest.not_integer": ("“{what}”应填整数", "{what} must be a whole number"),
    "ingest.out_of_range": ("“{what}”应{allowed}", "{what} must lie in {allowed}"),
    "ingest.unknown_label": ("“{what}”只能填写：{allowed}", "{what} must be one of: {allowed}"),
    "ingest.bad_date": (
        "“{what}”不是有效日期（请写成 2012-03-05）",
        "{what} is not a date (write it as 2012-03-05)",
    ),
    "ingest.bad_term": (
        "“{what}”不是有效学期（请写成“2024-2025学年第一学期”或“2024-1”）",
        "{what} is not a term (write 2024-2025学年第一学期 or 2024-1)",
    ),
    "ingest.class_unparsed": (
        "“{what}”无法识别为班级（请写成 1、1班 或 三(1)班），班级编号留空",
        "{what} cannot be read as a class number (write 1, 1班 or 三(1)班); class_id is left "
        "missing",
    ),
    "ingest.id_length": ("“{what}”的位数不对", "{what} has the wrong number of characters"),
    "ingest.id_format": (
        "“{what}”应为 17 位数字加 1 位数字或 X",
        "{what} is not 17 digits and a digit or X",
    ),
    "ingest.id_province": (
        "“{what}”的开头不是任何省份的代码",
        "{what} starts with no province's code",
    ),
    "ingest.id_birth_date": ("“{what}”中的出生日期无效", "{what} holds no valid birth date"),
    "ingest.id_checksum": (
        "“{what}”的校验位不对（可能输错了一位）",
        "{what} has a wrong check character (a typing slip)",
    ),
    "ingest.id_precision_lost": (
        "“{what}”被存成了数字，Excel 只保留了 15 位：请把该列设为文本格式后重新输入",
        "{what} was stored as a number and Excel kept only 15 digits: format the column as "
        "text and type the numbers again",
    ),
    "ingest.id_mismatch": (
        "学籍号中的身份证号与身份证号列不一致",
        "the student number's ID part differs from the resident ID",
    ),
    "ingest.sex_mismatch": (
        "填写的性别与身份证号中的性别不一致",
        "the sex written differs from the one in the resident ID",
    ),
    "ingest.birth_year_mismatch": (
        "填写的出生年份与身份证号中的出生年份不一致",
        "the birth year written differs from the one in the resident ID",
    ),
    "ingest.grade_age": (
        "年级与出生年份不符（9 月 1 日的年龄减去年级不在 {low} 到 {high} 之间）",
        "the grade does not fit the birth year (age on 1 September minus grade outside "
        "[{low}, {high}])",
    ),
    "ingest.other": ("“{what}”有问题：{reason}", "{what}: {reason}"),
    "ingest.set_missing": ("；已置为缺失", "; set missing"),
    "ingest.id_ignored": (
        "；已忽略身份证号（以学籍号识别儿童）",
        "; the resident ID is ignored (the student number identifies the child)",
    ),
    "ingest.range": ("在 {low} 到 {high} 之间", "[{low}, {high}]"),
    "ingest.range_low": ("不小于 {low}", "[{low}, ]"),
    "ingest.range_high": ("不大于 {high}", "[, {high}]"),
    "ingest.share_ambiguous": (
        "比例列中出现 1 到 100 之间的数字，而该列其他数值不是百分数：1.5 可能是 1.5%，也可能是"
        " 150%；请写成 0.015 或 1.5%",
        "a bare number between 1 and 100 in a column of shares whose other values are not "
        "percentages: 1.5 may be 1.5 % or 150 %; write 0.015 or 1.5%",
    ),
    "ingest.formula_no_value": (
        "单元格中的公式没有保存计算结果（文件由程序生成，从未在 Excel 中打开过）；该值按缺失处理，"
        "而不是 0：请用 Excel 打开并保存文件后重新提交",
        "the cell holds a formula saved without its result (the file was written by a program "
        "and never opened in Excel); the value is missing, not 0: open the file in Excel, save "
        "it and hand it in again",
    ),
    "ingest.cell_error": (
        "单元格是 Excel 错误值（#DIV/0!、#N/A 等）；该值按缺失处理：请更正公式或直接填写数值",
        "the cell holds an Excel error (#DIV/0!, #N/A …); the value is missing: correct the "
        "formula or type the value",
    ),
    "ingest.school_free_text": (
        "学校既不是学校代码（S01），也不是学校名称（…小学、…中学）；学校是这一行的关键信息，"
        "不按原样保存：请填写学校代码",
        "the school is neither a code (S01) nor a school's name (…小学, …中学); it is the "
        "row's key and is not stored as written: write the school's code",
    ),
    # --- columns and tables --------------------------------------------------------------------
    "ingest.missing_column": (
        "表头（第 {row} 行）中没有{columns}列；全角字符、空格和括号中的单位都能识别。请补上该列"
        "或修改表头",
        "no column for {columns} in the header (row {row}); full-width forms, spaces and a "
        "unit in brackets are tolerated. Add the column or rename its header",
    ),
    "ingest.column_looked_for": (
        "“{label}”（查找过的表头：{headers}）",
        "{label} ({name}; headers looked for: {headers})",
    ),
    "ingest.school_unknown": (
        "无法确定这份调查表属于哪所学校：没有“学校”列，调用时没有给出 school=，文件名不是"
        "“{{学校}}_{{学期}}_….xlsx”的形式，标题行中也没有“填报单位：…”。请按这种形式命名文件，"
        "或在调用时用 school= 给出各文件的学校代码（命令行 --school FILE=ID）",
        "the school of this survey is unknown: there is no 学校 column, no school= in the "
        "call, the file name is not {{school}}_{{term}}_….xlsx and no title row reads "
        "填报单位：…; name the file that way or pass school={{file: id}} (--school FILE=ID)",
    ),
    "ingest.term_unknown": (
        "无法确定这份调查表属于哪个学期：没有“学期”列，调用时没有给出 term=，文件名和标题行中也"
        "都没有写明学期（如“2024-2025学年第一学期”或“2024-1”）。请给出 term=（命令行 --term "
        "FILE=TERM）",
        "the term of this survey is unknown: there is no 学期 column, no term= in the call, "
        "and neither the file name nor a title row names one (2024-2025学年第一学期 or "
        "2024-1); pass term= (--term FILE=TERM)",
    ),
    "ingest.header_not_found": (
        "找不到表头：前几行中没有一行包含两个代码本中的列名（学籍号、年级、留守类型……），所有"
        "非空行均被隔离。请确认这是调查表、培训记录表或务工地表，并且表头使用代码本中的列名"
        "（见 docs/codebook.md）",
        "no header found: none of the first rows names two codebook columns (学籍号, 年级, "
        "留守类型 …); every non-blank row is quarantined. Check that this is a survey, training "
        "or destinations table and that its header uses the codebook's headers "
        "(docs/codebook.md)",
    ),
    "ingest.unknown_column": (
        "代码本中没有这个表头，该列未读取（如果它是代码本中的某一列，请把它加入该列的别名）",
        "the codebook does not know this header; its cells are not read (add it to the "
        "codebook's aliases if it is one of its columns)",
    ),
    "ingest.duplicate_column": (
        "“{name}”的第二列；只读取第一列",
        "a second column for {name}; only the first is read",
    ),
    "ingest.footer_row": (
        "表格下方的合计、签名或备注行",
        "a totals, signature or notes row below the table",
    ),
    "ingest.repeated_header": ("数据中间重复出现的表头", "the header repeated inside the data"),
    "ingest.sheet_skipped": (
        "工作表中没有数据表（{rows} 行非空），未读取",
        "sheet without a table ({rows} non-blank rows) was not read",
    ),
    "ingest.hidden_sheet_skipped": (
        "隐藏的工作表中没有数据表（{rows} 行非空），未读取",
        "hidden sheet without a table ({rows} non-blank rows) was not read",
    ),
    "ingest.sheet_hidden": (
        "隐藏的工作表中有数据表（{rows} 行数据），未读取：如果这些行属于本次调查，请在 Excel 中"
        "取消隐藏",
        "a hidden sheet with a table ({rows} data rows) was not read: unhide it in Excel if "
        "its rows belong to the survey",
    ),
    "ingest.duplicate_file": (
        "与 {file} 内容完全相同，不再重复读取",
        "the same bytes as {file}; not read again",
    ),
    "ingest.roll_number_ignored": (
        "“学号”是班内学号（每个班从 1、2、3 排起），不是学籍号：该列不读取，也从不用来关联儿童",
        "学号 is a class roll number (1, 2, 3 … within a class), not the 学籍号: its cells are "
        "not read and never link children",
    ),
    "ingest.roll_number_no_id": (
        "；由于没有学籍号或身份证号列，这些行均被隔离",
        "; with no 学籍号 or 身份证号 column the rows are quarantined",
    ),
    "ingest.roll_number_with_id": (
        "（以学籍号或身份证号识别儿童）",
        " (the 学籍号 or 身份证号 identifies the child)",
    ),
    "ingest.roll_number_only": (
        "这份调查表唯一的学生编号是“学号”，即班内学号（每个班从 1、2、3 排起），不是学籍号："
        "其他班级、学校和学期的儿童也有相同的学号，因此这些行无法关联。请补上学籍号或身份证号"
        "列；只有当该文件的“学号”确实是每名儿童自己的学籍号时，才用 student_no_header= 说明"
        "（命令行 --student-no-header FILE=学号）",
        "the only identifier of this survey is 学号, a class roll number (1, 2, 3 … within a "
        "class), not the 学籍号: children of other classes, schools and terms have the same "
        "numbers, so these rows cannot be linked. Add the 学籍号 or 身份证号 column; only if "
        "this file's 学号 is each child's own student number, say so with student_no_header= "
        "(--student-no-header FILE=学号)",
    ),
    # --- reading files ------------------------------------------------------------------------
    "ingest.progress": ("导入", "ingesting"),
    "ingest.no_such_path": ("{path}：文件或文件夹不存在", "{path}: no such file or folder"),
    "ingest.no_files": (
        "给出的路径中没有 .xlsx、.xls 或 .csv 文件",
        "no .xlsx, .xls or .csv file found in the paths given",
    ),
    "ingest.cannot_open": ("无法打开文件（{kind}）", "the file cannot be opened ({kind})"),
    "ingest.file_empty": ("文件是空的", "the file is empty"),
    "ingest.file_no_value": ("文件中没有任何有内容的单元格", "the file holds no cell with a value"),
    "ingest.web_page": (
        "该文件是网页或 XML，不是工作簿（很多系统导出的 .xls 其实是网页）：请用 Excel 打开后另存为"
        " .xlsx",
        "the file is a web page or XML, not a workbook (systems often export HTML named .xls): "
        "open it in Excel and save it as .xlsx",
    ),
    "ingest.not_a_table": (
        "该文件不是工作簿或 CSV 文件（扩展名：{suffix}）；只能读取 .xlsx、.xls 和 .csv",
        "the file is not a workbook or CSV (ending {suffix}); ingest reads .xlsx, .xls and .csv",
    ),
    "ingest.encoding_unknown": (
        "文本的编码既不是 UTF-8，也不是 GBK/GB18030（也不是带字节顺序标记的 UTF-16）；请在 Excel"
        " 中另存为“CSV UTF-8”或 .xlsx",
        "the text is neither UTF-8 nor GBK/GB18030 (nor UTF-16 with a byte-order mark); save it "
        "from Excel as 'CSV UTF-8' or as .xlsx",
    ),
    "ingest.csv_unreadable": (
        "无法按 CSV 读取该文本（{kind}）：请在 Excel 中另存为“CSV UTF-8”或 .xlsx",
        "the text cannot be read as CSV ({kind}): save it from Excel as 'CSV UTF-8' or as .xlsx",
    ),
    "ingest.workbook_password": (
        "无法打开工作簿（{kind}）；它设有密码：请在 Excel 中取消密码后重新保存",
        "the workbook cannot be opened ({kind}); it is protected by a password: remove the "
        "password in Excel and save again",
    ),
    "ingest.workbook_damaged": (
        "无法打开工作簿（{kind}）；文件可能已损坏、不完整或并不是真正的工作簿：请用 Excel 打开后"
        "重新另存为 .xlsx",
        "the workbook cannot be opened ({kind}); it may be damaged, truncated or not really a "
        "workbook: open it in Excel and save it again as .xlsx",
    ),
    # --- linking terms and tables -------------------------------------------------------------
    "ingest.file_row": ("{file} 第 {row} 行", "{file} row {row}"),
    "ingest.duplicate_row": (
        "与 {where}完全相同（保留那一行）",
        "an exact copy of {where}, which is kept",
    ),
    "ingest.duplicate_key": (
        "{what}相同的 {rows} 行内容不一致（{where}{more}）；均不采用：请更正记录后重新导入",
        "{rows} rows for one {what} disagree ({where}{more}); none is kept: correct the records "
        "and ingest again",
    ),
    "ingest.key_panel": ("儿童和学期", "child and term"),
    "ingest.key_schools": ("学校和年份", "school and year"),
    "ingest.key_destinations": ("务工地", "destination"),
    "ingest.more_rows": ("，另有 {rows} 行", " and {rows} more"),
    "ingest.school_no_record": (
        "学校 {school} 在培训记录（学校表）中没有记录；{township}",
        "school {school} has no row in the training records (schools table); {township}",
    ),
    "ingest.township_unknown": ("其所在乡镇不详", "its township is unknown"),
    "ingest.township_from_survey": (
        "其所在乡镇取自调查表",
        "its township is taken from the survey",
    ),
    "ingest.township_not_listed": (
        "学校表（培训记录）中没有这个乡镇；已置为缺失（如有该校的培训记录，则取自培训记录）",
        "the schools table (training records) lists no such township; set missing (taken from "
        "the school's training records where they exist)",
    ),
    "ingest.township_not_a_name": (
        "不是乡镇代码（T01）或乡镇名称（…镇、…乡、…街道）；已置为缺失（如有该校的培训记录，"
        "则取自培训记录）",
        "not a township's code (T01) or name (…镇, …乡, …街道); set missing (taken from the "
        "school's training records where they exist)",
    ),
    "ingest.destination_not_listed": (
        "务工地表中没有这个务工地（按代码或名称查找）；已置为缺失",
        "the destinations table lists no such destination (by code or name); set missing",
    ),
    "ingest.destination_not_a_code": (
        "没有提供务工地表，而这也不是务工地代码（如 D03）；已置为缺失",
        "no destinations table was given and this is not a destination's code (D03); set missing",
    ),
    "ingest.score_unstandardised": (
        "该年级该学期有原始分数的儿童少于两名（或分数全部相同），无法标准化；成绩已置为缺失",
        "raw marks in a grade and term with fewer than two children (or all equal) cannot be "
        "standardised; the score is set missing",
    ),
    "ingest.quarantined": (
        "有 {rows} 行被隔离（{counts}）；见 result.quarantine 或 quarantine.csv",
        "{rows} row(s) quarantined ({counts}); see result.quarantine or quarantine.csv",
    ),
}
