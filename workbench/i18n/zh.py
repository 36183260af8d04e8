"""The app's texts in 中文 (简体): one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} 个集合',
})


# ======================================================================= app
# app.py: page titles, navigation; ui/state.py; ui/widgets.py (sidebar, errors, model choice, uploads)
MESSAGES.update({
    'app.title': 'Lychee 重排序工作台',
    'app.language': '语言',
    'nav.home': '首页',
    'nav.import': '导入',
    'nav.ocr': 'OCR 识别',
    'nav.rerank': '重排序',
    'nav.compare': '对比',
    'nav.matrix': '矩阵',
    'nav.label': '标注',
    'nav.sessions': '会话',
    'err.how_to_fix': '解决方法：',
})


# ======================================================================= jobs
# ui/jobs.py: progress, cancel, job outcomes
MESSAGES.update({
})


# ======================================================================= frames
# ui/frames.py, ui/results.py: table headings, result texts
MESSAGES.update({
})


# ======================================================================= home
# pages/home_page.py
MESSAGES.update({
})


# ======================================================================= import
# pages/import_page.py and the import report
MESSAGES.update({
})


# ======================================================================= ocr
# pages/ocr_page.py, ui/ocr_tools.py
MESSAGES.update({
})


# ======================================================================= sessions
# pages/sessions_page.py
MESSAGES.update({
})


# ======================================================================= rerank
# pages/rerank_page.py
MESSAGES.update({
})


# ======================================================================= compare
# pages/compare_page.py, ui/comparison.py, ui/matrix_links.py
MESSAGES.update({
})


# ======================================================================= matrix
# pages/matrix_page.py
MESSAGES.update({
})


# ======================================================================= label
# pages/label_page.py
MESSAGES.update({
})


# ======================================================================= advice
# workbench/compare (advice, significance texts shown in the app)
MESSAGES.update({
})


# ======================================================================= err_data
# errors of workbench/formats, ocr, store, service, samples, labelling, limits (err.<code>)
MESSAGES.update({
    # CLI flags stay exactly as in English ("--encoding gbk (or encoding='gbk')", "--model" …):
    # ui/widgets.app_wording replaces them with the app's wording
    # formats/decode.py: text encodings
    'err.encoding.unknown': '未知的编码“{encoding}”。',
    'err.encoding.unknown.fix': '请使用 Python 的编码名称，例如 utf-8、utf-8-sig、utf-16、gbk 或 gb18030。',
    'err.encoding.not_text': '“{encoding}”不是文本编码（它是字节的 {transform} 变换，而不是字符集），无法用它读取文件。',
    'err.encoding.not_text.fix': '请给出文件保存时所用的字符编码，例如 utf-8、gbk、gb18030、utf-16 或 latin-1；或不指定 --encoding，让程序自动检测。',
    'err.encoding.undetected': '无法确定 {name} 的文本编码（已尝试 UTF-8、UTF-16、GBK/GB18030）；它可能是二进制文件，例如 .xlsx。',
    'err.encoding.undetected.fix': "请将文件另存为 UTF-8（在 Excel 中选择“CSV UTF-8”），或指定其编码，例如 --encoding gbk (or encoding='gbk')。",
    'err.encoding.invalid_bytes': '{name} 不是有效的 {encoding} 文本：第 {line} 行的字节 {byte} 无法解码。',
    'err.encoding.invalid_bytes.fix': '请指定文件的实际编码（例如 --encoding gbk），或不指定 --encoding 让程序自动检测，或将文件另存为 UTF-8。',
    'err.encoding.mixed_utf8': '{name} 除第 {lines} 行外均为 UTF-8：第 {line} 行第 {char} 个字符处的字节 {byte} 不是有效的 UTF-8。',
    'err.encoding.mixed_utf8.fix': '请修正或删除这些行（或将文件另存为 UTF-8），然后重新导入。',

    # limits.py, formats/safezip.py, formats/tables.py: limits, ZIP, CSV, JSON
    'err.limits.not_a_number': '{env}={value!r} 不是数字。',
    'err.limits.not_a_number.fix': '请将 {env} 设为一个数字（默认 {default}），或取消设置。',
    'err.limits.not_positive': '{env}={value!r} 必须大于 0。',
    'err.limits.not_positive.fix': '取消设置 {env} 即使用默认值（{default}）。',
    'err.zip.unreadable': '“{name}”不是可读取的 ZIP 压缩包（{reason}）。',
    'err.zip.unreadable.fix': '请重新制作 ZIP 并再次导入。',
    'err.zip.too_many_entries': '“{name}”超出上限 {limit}（单个 ZIP 的条目数）：它有 {count} 个条目。',
    'err.zip.too_many_entries.fix': 'ZIP 中只放候选文件及其图像。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.zip.too_big_declared': '“{name}”超出上限 {limit}（单个 ZIP 解压后的总大小）：它声明解压后为 {mb} MB。',
    'err.zip.too_big_declared.fix': '请把候选集拆分成多个较小的压缩包。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.zip.too_big_unpacked': '“{name}”超出上限 {limit}（单个 ZIP 解压后的总大小）：解压已超过 {mb} MB（在条目“{entry}”处）。',
    'err.zip.too_big_unpacked.fix': '请把候选集拆分成多个较小的压缩包。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.zip.entry_too_big': 'ZIP 条目“{name}”超出上限 {limit}（单个候选文件的大小）：解压后超过 {mb} MB。',
    'err.zip.entry_too_big.fix': '如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.zip.image_too_big': 'ZIP 条目“{name}”超出上限 {limit}（单个图像文件）：解压后超过 {mb} MB。',
    'err.zip.image_too_big.fix': '如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.zip.bomb': 'ZIP 条目“{name}”超出上限 {limit}（单个 ZIP 条目的压缩比）：{packed} 字节的压缩数据解压后超过 {written} 字节（{ratio}:1），呈“ZIP 炸弹”特征。',
    'err.zip.bomb.fix': '请核实压缩包的来源；正常的候选文件压缩比很少高于 {max_ratio}:1。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.zip.bad_crc': 'ZIP 条目“{name}”已损坏（CRC 校验失败：其字节与打包时不一致）。',
    'err.zip.bad_crc.fix': '请用原始文件重新制作 ZIP（或重新下载），然后再次导入。',
    'err.zip.damaged': 'ZIP 条目“{name}”已损坏（{reason}）。',
    'err.zip.damaged.fix': '请用原始文件重新制作 ZIP（或重新下载），然后再次导入。',
    'err.zip.cannot_unpack': 'ZIP 条目“{name}”无法解压（{reason}）。',
    'err.zip.cannot_unpack.fix': '请用普通（deflate）压缩且不设密码重新制作 ZIP，然后再次导入。',
    'err.table.too_many_columns': '{name} 超出上限 {limit}（单个文件的列数）：它有 {count} 列。',
    'err.table.too_many_columns.fix': '只保留候选列和所需的元数据列。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.table.row_too_long': '该行超过了每行 {limit} 的上限。',
    'err.table.row_too_long.fix': '请缩短该行；如果确实需要很长的行，请用 {env} 提高上限（当前为 {now}），例如 {env}={example}。',
    'err.table.row_too_long_size': '该行超过了每行 {limit} 的上限（{mb} MB）。',
    'err.table.row_too_long_size.fix': '请缩短该行；如果确实需要很长的行，请用 {env} 提高上限（当前为 {now}），例如 {env}={example}。',
    'err.table.missing_columns': '{name} 缺少必需的列 {missing}。找到的列：{found}。',
    'err.table.missing_columns.fix': '请在表头中补上缺少的列：query_id、doc_id，以及查询和文档各自的文本列和/或图像列（{columns}；值可以为空）。如果列名看起来没有问题，可能是分隔符或编码不对（试试 --encoding）。',
    'err.table.no_columns': '{name} 缺少必需的列 {missing}。找到的列：（无）。',
    'err.table.no_columns.fix': '请在表头中补上缺少的列：query_id、doc_id，以及查询和文档各自的文本列和/或图像列（{columns}；值可以为空）。如果列名看起来没有问题，可能是分隔符或编码不对（试试 --encoding）。',
    'err.table.duplicate_columns': '{name} 中的列 {columns} 出现了不止一次。',
    'err.table.duplicate_columns.fix': '每个列名只保留一列；请重命名或删除重复的列。',
    'err.csv.empty': '{name} 是空文件。',
    'err.csv.empty.fix': '请添加包含 {columns} 列的表头，并为每个（查询，文档）写一行。',
    'err.csv.header_field_too_big': '{name}：表头中的某个字段超出上限 {limit}（单个 CSV 字段）。',
    'err.csv.header_field_too_big.fix': '如果第一行中有未闭合的引号，请将其闭合。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.csv.header_too_long': '{name}：表头行超出上限 {limit}（文件的单行）。',
    'err.csv.header_too_long.fix': '如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.csv.bad_header': '{name}：表头行无法按 CSV 读取（{reason}）。',
    'err.csv.bad_header.fix': '请检查第一行中的引号。',
    'err.csv.field_too_big': '该行的某个字段超过 {limit}（或某个引号未闭合，导致文件其余部分被当作一个字段）。',
    'err.csv.field_too_big.fix': '如果有未闭合的引号，请将其闭合。如果确实是很长的文本，请用 {env} 提高上限（当前为 {now}），例如 {env}={example}。',
    'err.csv.bad_row': '该行无法按 CSV 读取（{reason}）。',
    'err.csv.bad_row.fix': '请闭合该行中的引号，或删除多余的引号字符。',
    'err.csv.fields_missing': '该行有 {fields} 个字段，但表头有 {columns} 列；“{column}”及其后的列缺失。',
    'err.csv.fields_missing.fix': '每行应与表头的每一列一一对应；包含逗号的值请加引号（"a, b"）。',
    'err.csv.fields_extra': '该行有 {fields} 个字段，但表头只有 {columns} 列。',
    'err.csv.fields_extra.fix': '每行应与表头的每一列一一对应；包含逗号的值请加引号（"a, b"）。',
    'err.json.too_deep': '该 JSON 嵌套了 {depth} 层，超过了 {limit} 层的上限。',
    'err.json.too_deep.fix': '请将该值展平（每行只需普通值、列表或最多一个小对象）；如果确实需要深层数据，请用 {env} 提高上限（当前为 {now}）。',
    'err.json.array_not_closed': '{name}：JSON 数组没有闭合。',
    'err.json.array_not_closed.fix': '请在文件末尾加上“]”。',
    'err.json.invalid': '{name}，第 {line} 行：JSON 无效（{reason}）。',
    'err.json.invalid.fix': '请修正该处的 JSON 语法，或将各行保存为 JSONL（每行一个对象）。',
    'err.json.number_too_long': '{name}，第 {line} 行：无法读取某个 JSON 值（某个数字超过 4300 位）。',
    'err.json.number_too_long.fix': '请用更少的位数书写数字（或写成字符串），并修正该元素。',
    'err.json.bad_value': '{name}，第 {line} 行：无法读取某个 JSON 值（{reason}）。',
    'err.json.bad_value.fix': '请用更少的位数书写数字（或写成字符串），并修正该元素。',
    'err.json.line_invalid': '该行不是有效的 JSON（第 {char} 个字符处：{reason}）。',
    'err.json.line_invalid.fix': '每行写一个 JSON 对象，例如 {{"query_id": "q1", "doc_id": "d1", ...}}。',
    'err.json.line_number_too_long': '无法读取该行中的某个值（某个数字超过 4300 位）。',
    'err.json.line_number_too_long.fix': '请用更少的位数书写数字（或写成字符串）。',
    'err.json.line_bad_value': '无法读取该行中的某个值（{reason}）。',
    'err.json.line_bad_value.fix': '请用更少的位数书写数字（或写成字符串）。',
    'err.json.line_not_object': '该行是 JSON，但不是对象。',
    'err.json.line_not_object.fix': '每行写一个 JSON 对象（{{...}}）。',
    'err.json.empty': '{name} 是空文件。',
    'err.json.empty.fix': '请每行写一个 JSON 对象，包含键 {columns}。',

    # formats/candidates.py, formats/image_data.py: importing candidate files, rejected rows
    'err.import.no_such_file': '“{path}”不存在。',
    'err.import.no_such_file.fix': '请检查要导入的文件路径。',
    'err.import.folder_several_tables': '文件夹“{path}”中有多个候选文件：{files}。',
    'err.import.folder_several_tables.fix': '请按文件名导入其中一个。',
    'err.import.folder_no_table': '“{path}”是一个文件夹，其中没有 CSV/JSONL 文件。',
    'err.import.folder_no_table.fix': '要把一个图像文件夹导入为一个候选集，请输入查询文本（CLI：--query-text）。',
    'err.import.spreadsheet': '“{name}”是电子表格，不是文本表格。',
    'err.import.spreadsheet.fix': '在 Excel 中选择“文件 > 另存为 > CSV UTF-8（逗号分隔）”，然后导入 .csv 文件。',
    'err.import.unsupported_type': '“{name}”不是支持的候选文件（{suffix}）。',
    'err.import.unsupported_type.fix': '请导入 .csv、.tsv、.jsonl 或 .zip 文件，或导入一个图像文件夹并给出查询文本（CLI：--query-text）。',
    'err.import.no_extension': '“{name}”不是支持的候选文件（没有扩展名）。',
    'err.import.no_extension.fix': '请导入 .csv、.tsv、.jsonl 或 .zip 文件，或导入一个图像文件夹并给出查询文本（CLI：--query-text）。',
    'err.import.file_too_big': '“{name}”超出上限 {limit}（单个候选文件的大小）：它有 {mb} MB。',
    'err.import.file_too_big.fix': '请将它拆分成多个文件（每组查询一个文件）。如果文件确实没有问题，请用环境变量 {env} 提高上限（当前为 {now}），例如 {env}={example}，然后重新导入。',
    'err.import.no_rows': '{name} 只有表头，没有数据行，因此没有导入任何内容。',
    'err.import.no_rows.fix': '请在表头下为每个（查询，文档）添加一行，然后重新导入。',
    'err.import.all_rejected': '{name}：没有导入任何内容；全部 {count} 行都被拒绝：\n{rows}',
    'err.import.all_rejected.fix': '请修正上面列出的行（可将被拒绝的行下载为 CSV 查看全部），然后重新导入。',
    'err.import.all_rejected_more': '{name}：没有导入任何内容；全部 {count} 行都被拒绝：\n{rows}\n  ……另有 {more} 行',
    'err.import.all_rejected_more.fix': '请修正上面列出的行（可将被拒绝的行下载为 CSV 查看全部），然后重新导入。',
    'err.import.not_a_folder': '“{path}”不是文件夹。',
    'err.import.not_a_folder.fix': '请给出存放图像的文件夹路径。',
    'err.import.folder_no_query': '查询为空。',
    'err.import.folder_no_query.fix': '请为该图像文件夹输入查询文本（CLI：--query-text）。',
    'err.import.folder_no_images': '文件夹“{path}”中没有图像。',
    'err.import.folder_no_images.fix': '请把 .jpg/.png/.webp 图像放进该文件夹（包括子文件夹）。',
    'err.import.query_image_bad': '查询图像：{reason}',
    'err.import.query_image_bad.fix': '{fix}',
    'err.import.no_query_id': 'query_id 为空。',
    'err.import.no_query_id.fix': '请为每一行填写其查询的 id（例如 q1）。',
    'err.import.no_doc_id': 'doc_id 为空。',
    'err.import.no_doc_id.fix': '请为每一行填写文档 id，在同一查询内不可重复。',
    'err.import.empty_query': '查询“{query}”为空：既没有 query_text，也没有 query_image。',
    'err.import.empty_query.fix': '请在该查询的每一行写上查询文本，或给出查询图像的路径。',
    'err.import.empty_document': '文档“{doc}”既没有 doc_text，也没有 doc_image。',
    'err.import.empty_document.fix': '请写上文档文本或给出其图像路径，或删除该行。',
    'err.import.bad_label': '标注“{value}”不是有效的相关性等级。',
    'err.import.bad_label.fix': '请使用 0（不相关）、1（部分相关）或 2（相关），或留空。',
    'err.import.score_not_number': 'first_stage_score“{value}”不是数字。',
    'err.import.score_not_number.fix': '请写普通数字，例如 0.82（用点作小数点），或留空。',
    'err.import.score_not_finite': 'first_stage_score“{value}”不是有限数。',
    'err.import.score_not_finite.fix': '请写一个有限数，或留空。',
    'err.import.query_text_differs': '查询“{query}”的 query_text 与第 {first_line} 行不同（“{text}”与“{first_text}”）。',
    'err.import.query_text_differs.fix': '同一 query_id 的每一行请使用相同的 query_text，或为另一个查询设置单独的 id。',
    'err.import.query_image_differs': '查询“{query}”的 query_image 与第 {first_line} 行不同。',
    'err.import.query_image_differs.fix': '同一 query_id 的每一行请使用相同的 query_image，或为另一个查询设置单独的 id。',
    'err.import.duplicate_doc': 'doc_id“{doc}”在查询“{query}”中出现了两次（首次出现在第 {first_line} 行）。',
    'err.import.duplicate_doc.fix': '请为同一查询的每个文档设置不同的 doc_id，或删除重复的行。',
    'err.import.id_nul': '{column} 包含 NUL 字节（\\0），id 中不能有这种字符。',
    'err.import.id_nul.fix': '请删除 {column} 中的控制字符（id 应为纯文本）。',
    'err.import.id_surrogate': '{column} 包含未配对的 UTF-16 代理项转义，id 中不能有这种字符。',
    'err.import.id_surrogate.fix': '请删除 {column} 中的控制字符（id 应为纯文本）。',
    'err.encoding.bad_row': '该行包含不属于 {encoding} 的字节（第 {char} 个字符处的字节 {byte} 不是有效的 UTF-8）；该行未导入（文件其余部分为 {encoding}，已导入）。',
    'err.encoding.bad_row.fix': '请修正该行（重新输入乱码字符），或将整个文件另存为 UTF-8，然后重新导入；如果整个文件是另一种编码，请指定它（CLI：--encoding NAME）。',
    'err.encoding.bad_row_line': '该行的第 {line} 行包含不属于 {encoding} 的字节（第 {char} 个字符处的字节 {byte} 不是有效的 UTF-8）；该行未导入（文件其余部分为 {encoding}，已导入）。',
    'err.encoding.bad_row_line.fix': '请修正该行（重新输入乱码字符），或将整个文件另存为 UTF-8，然后重新导入；如果整个文件是另一种编码，请指定它（CLI：--encoding NAME）。',
    'err.import.image_path_nul': '图像路径中包含 NUL 字节。',
    'err.import.image_path_nul.fix': '请写出不含控制字符的图像相对路径，或将该单元格留空。',
    'err.import.image_url': '“{raw}”是一个 URL；不会下载图像。',
    'err.import.image_url.fix': '请把图像下载到文件旁边，并给出其相对路径。',
    'err.import.image_absolute': '“{raw}”是绝对路径；图像路径必须相对于被导入的文件。',
    'err.import.image_absolute.fix': '请把图像复制到文件所在的文件夹（例如 images/），并写出相对于文件的路径，例如 images/cat.jpg。',
    'err.import.image_dotdot': '“{raw}”使用“..”离开了候选集的文件夹。',
    'err.import.image_dotdot.fix': '请把图像放在文件所在的文件夹内（例如 images/），引用时不要使用“..”。',
    'err.import.image_link_outside': '“{raw}”（通过链接）指向候选集文件夹之外。',
    'err.import.image_link_outside.fix': '请把图像文件本身复制到文件所在的文件夹。',
    'err.import.image_missing': '图像文件“{raw}”不存在。',
    'err.import.image_missing.fix': '请检查拼写（路径区分大小写），并确认图像位于被导入文件所在的文件夹中（上传时请把文件和它的图像放进同一个 ZIP），或将该单元格留空。',
    'err.import.image_is_folder': '“{raw}”是文件夹，不是图像文件。',
    'err.import.image_is_folder.fix': '请检查拼写（路径区分大小写），并确认图像位于被导入文件所在的文件夹中（上传时请把文件和它的图像放进同一个 ZIP），或将该单元格留空。',
    'err.import.image_unreadable': '无法读取图像“{raw}”：{reason}',
    'err.import.image_unreadable.fix': '{fix}',
    'err.import.image_unreadable_nofix': '无法读取图像“{raw}”：{reason}',
    'err.import.image_unreadable_nofix.fix': '请将图像重新导出为 JPEG 或 PNG。',
    'err.import.image_too_big': '图像“{raw}”有 {mb} MB，超过了每张图像 {limit_mb} MB 的上限（该行未导入；其他行已导入）。',
    'err.import.image_too_big.fix': '请缩小或重新导出该图像（正常尺寸的 JPEG 或 PNG），或将该单元格留空。如确需这么大的图像，可用 {env} 放宽限制（当前为 {now} MB）。',
    'err.import.image_too_big_db': '图像“{raw}”有 {mb} MB，超过了每张图像 {limit_mb} MB 的上限（该行未导入；其他行已导入）。',
    'err.import.image_too_big_db.fix': '请缩小或重新导出该图像（正常尺寸的 JPEG 或 PNG），或将该单元格留空。如确需这么大的图像，可用 {env} 放宽限制（当前为 {now} MB，最多约 950 MB：数据库每个值最多存储 1 GB）。',
    'err.zip.entry_symlink': 'ZIP 条目“{entry}”是符号链接；未解压该条目。',
    'err.zip.entry_symlink.fix': '请在候选集文件夹内重新制作 ZIP，使每个条目都是普通的相对路径。',
    'err.zip.entry_outside': 'ZIP 条目“{entry}”指向压缩包文件夹之外（zip-slip）；未解压该条目。',
    'err.zip.entry_outside.fix': '请在候选集文件夹内重新制作 ZIP，使每个条目都是普通的相对路径。',
    'err.zip.no_table': '“{name}”中没有 CSV 或 JSONL 文件。',
    'err.zip.no_table.fix': '请在 ZIP 中放一个 candidates.csv（或 .jsonl），并与其图像放在一起。',
    'err.zip.several_tables': '“{name}”中有多个候选文件：{files}。',
    'err.zip.several_tables.fix': 'ZIP 中只能放一个 CSV/JSONL 文件。',

    # images.py: image files
    'err.image.missing': '图像文件“{path}”不存在。',
    'err.image.missing.fix': '请检查路径及其拼写；导入文件中的图像路径是相对于该文件所在文件夹的。',
    'err.image.is_folder': '“{path}”是文件夹，不是图像文件。',
    'err.image.is_folder.fix': '请让图像列指向该文件夹中的某个文件。',
    'err.image.empty': '图像文件“{path}”为空（0 字节）。',
    'err.image.empty.fix': '该文件可能没有完整复制或下载：请重新复制，或将它从候选集中移除。',
    'err.image.too_many_pixels': '“{path}”为 {width}×{height} = {mp} MP，超过了 {limit_mp} MP 的安全上限（防解压炸弹：这类文件可能耗尽内存）。',
    'err.image.too_many_pixels.fix': '请把图像缩小到上限以下（例如长边 4000 像素），然后重新导入。',
    'err.image.too_many_pixels_unknown': '“{path}”像素过多，超过了 {limit_mp} MP 的安全上限（防解压炸弹：这类文件可能耗尽内存）。',
    'err.image.too_many_pixels_unknown.fix': '请把图像缩小到上限以下（例如长边 4000 像素），然后重新导入。',
    'err.image.not_image': '“{path}”不是任何可读取格式的图像（无论文件名如何，其内容都不是 JPEG、PNG、WebP、GIF、HEIC、AVIF、TIFF、BMP 等格式）。',
    'err.image.not_image.fix': '请确认这是正确的文件（它可能是用图像文件名保存的网页或文本）；请将图像重新导出为 JPEG 或 PNG（任何图像编辑器或手机的“以 JPEG 分享”都可以），或将它从候选集中移除。',
    'err.image.truncated': '“{path}”不完整：图像数据提前结束（{reason}）。',
    'err.image.truncated.fix': '该文件在复制或下载时被截断：请获取完整的副本，或将它从候选集中移除。',
    'err.image.undecodable': '无法解码“{path}”（{reason}）。',
    'err.image.undecodable.fix': '请将图像重新导出为 JPEG 或 PNG（任何图像编辑器或手机的“以 JPEG 分享”都可以），或将它从候选集中移除。',
    'err.image.bad_thumbnail_size': '缩略图尺寸必须是正的像素数，而不是 {size}。',
    'err.image.bad_thumbnail_size.fix': '请使用 128 或 256 这样的尺寸。',

    # formats/trec.py, formats/ranked_csv.py: TREC qrels/run files, ranked-results CSV
    'err.trec.invalid': '不是有效的 TREC {kind} 文件：{reason}',
    'err.trec.invalid.fix': '{fix}',
    'err.trec.invalid_many': '不是有效的 TREC {kind} 文件：{reason}（共 {count} 行有误：{lines}）',
    'err.trec.invalid_many.fix': '{fix}',
    'err.trec.is_folder': '“{path}”是文件夹，不是 TREC 文件。',
    'err.trec.is_folder.fix': '请给出 qrels / run 文件本身的路径（例如 folder/qrels.txt）。',
    'err.trec.no_such_file': 'TREC 文件“{path}”不存在。',
    'err.trec.no_such_file.fix': '请检查路径和文件名的拼写。',
    'err.trec.not_utf8': 'TREC 文件 {name} 不是 UTF-8（第 {byte} 个字节无法解码）。',
    'err.trec.not_utf8.fix': '请将文件另存为 UTF-8（查询 id 和文档 id 必须是 UTF-8 文本）。',
    'err.trec.not_utf8_unnamed': 'TREC 文件不是 UTF-8（第 {byte} 个字节无法解码）。',
    'err.trec.not_utf8_unnamed.fix': '请将文件另存为 UTF-8（查询 id 和文档 id 必须是 UTF-8 文本）。',
    'err.trec.qrels_fields': "应有 4 个字段，实际有 {found} 个：'{text}'",
    'err.trec.qrels_fields.fix': "qrels 的每一行应为：qid 0 docid relevance（例如 'q1 0 doc7 2'）。文档 id 不能包含空格。",
    'err.trec.relevance_not_int': '相关性“{value}”不是整数',
    'err.trec.relevance_not_int.fix': '请在第 4 列使用 0（不相关）、1（部分相关）或 2（相关）。',
    'err.trec.relevance_range': '相关性 {grade} 不在工作台的等级 0、1、2 之内',
    'err.trec.relevance_range.fix': '请把等级换算为 0/1/2，或用 clip=True（--clip）导入，将负数映射为 0、大于 2 的等级映射为 2。',
    'err.trec.conflicting_judgments': '查询“{query}”的文档“{doc}”在第 {first_line} 行被判为 {grade_before}，在此处被判为 {grade}',
    'err.trec.conflicting_judgments.fix': '每个查询和文档只保留一个判定。',
    'err.trec.no_judgments': '在 qrels 文件 {name} 中没有找到任何判定。',
    'err.trec.no_judgments.fix': "每一行应为：qid 0 docid relevance（例如 'q1 0 doc7 2'）。",
    'err.trec.no_judgments_unnamed': '在 qrels 文件中没有找到任何判定。',
    'err.trec.no_judgments_unnamed.fix': "每一行应为：qid 0 docid relevance（例如 'q1 0 doc7 2'）。",
    'err.trec.run_fields': "应有 6 个字段，实际有 {found} 个：'{text}'",
    'err.trec.run_fields.fix': "run 文件的每一行应为：qid Q0 docid rank score tag（例如 'q1 Q0 doc7 1 0.93 my-run'）。id 和标签不能包含空格。",
    'err.trec.rank_not_int': '排名“{value}”不是整数',
    'err.trec.rank_not_int.fix': '请在第 4 列写从 1 开始的排名。',
    'err.trec.score_not_finite': '分数“{value}”不是有限数',
    'err.trec.score_not_finite.fix': '请在第 5 列写数值分数（越高越好）。',
    'err.trec.duplicate_doc': '文档“{doc}”在运行“{tag}”中对查询“{query}”出现了两次（首次出现在第 {first_line} 行）',
    'err.trec.duplicate_doc.fix': '每个查询、文档和运行标签只保留一行。',
    'err.trec.no_ranked_docs': '在 run 文件 {name} 中没有找到任何排序的文档。',
    'err.trec.no_ranked_docs.fix': "每一行应为：qid Q0 docid rank score tag（例如 'q1 Q0 doc7 1 0.93 my-run'）。",
    'err.trec.no_ranked_docs_unnamed': '在 run 文件中没有找到任何排序的文档。',
    'err.trec.no_ranked_docs_unnamed.fix': "每一行应为：qid Q0 docid rank score tag（例如 'q1 Q0 doc7 1 0.93 my-run'）。",
    'err.trec.run_no_query': '运行 {run} 没有查询 id，而 TREC run 格式需要它。',
    'err.trec.run_no_query.fix': '请导出从存储中加载的运行（它们带有所属候选集的查询 id），或设置 Run.query_id。',
    'err.trec.run_no_query_unnamed': '该运行没有查询 id，而 TREC run 格式需要它。',
    'err.trec.run_no_query_unnamed.fix': '请导出从存储中加载的运行（它们带有所属候选集的查询 id），或设置 Run.query_id。',
    'err.trec.bad_query_id': '查询 id“{value}”为空或包含空白字符，TREC 文件无法容纳。',
    'err.trec.bad_query_id.fix': '导出前请重命名该查询 id，去掉空格（例如用“_”替换）。',
    'err.trec.bad_doc_id': '文档 id“{value}”为空或包含空白字符，TREC 文件无法容纳。',
    'err.trec.bad_doc_id.fix': '导出前请重命名该文档 id，去掉空格（例如用“_”替换）。',
    'err.ranked.is_folder': '“{path}”是文件夹，不是排序结果 CSV。',
    'err.ranked.is_folder.fix': '请给出 CSV 文件本身的路径（例如 folder/ranked.csv）。',
    'err.ranked.no_such_file': '“{path}”不存在。',
    'err.ranked.no_such_file.fix': '请检查排序结果 CSV 的路径。',
    'err.ranked.empty': '{name} 是空文件。',
    'err.ranked.empty.fix': '排序结果 CSV 需要一个包含 query_id、doc_id 以及 score 和/或 rank 的表头（可选：instruction、backend、model），然后每个排序的文档一行。',
    'err.ranked.missing_columns': '{name} 缺少列 {missing}。找到的列：{found}。',
    'err.ranked.missing_columns.fix': '排序结果 CSV 需要 query_id、doc_id，以及 score 和/或 rank 列（可选：instruction、backend、model）。',
    'err.ranked.no_query_id': 'query_id 为空。',
    'err.ranked.no_query_id.fix': '请为每一行填写它所排序的查询 id。',
    'err.ranked.no_doc_id': 'doc_id 为空。',
    'err.ranked.no_doc_id.fix': '请为每一行填写被排序文档的 id。',
    'err.ranked.bad_score': '分数“{value}”不是有限数。',
    'err.ranked.bad_score.fix': '请写普通数字，例如 0.93。',
    'err.ranked.bad_rank': '排名“{value}”不是从 1 开始的整数。',
    'err.ranked.bad_rank.fix': '排名请写成 1、2、3……',
    'err.ranked.no_score_or_rank': '该行既没有分数也没有排名。',
    'err.ranked.no_score_or_rank.fix': '请填写该文档的分数或排名。',
    'err.ranked.duplicate_doc': 'doc_id“{doc}”对查询“{query}”被排序了两次（首次出现在第 {first_line} 行）。',
    'err.ranked.duplicate_doc.fix': '每个文档和查询只保留一行，或为第二个排序设置单独的 instruction/model。',
    'err.ranked.row_errors': '{reason}（另有 {more} 行也有错误）',
    'err.ranked.row_errors.fix': '{fix}',
    'err.ranked.no_rows': '{name} 中没有排序的行。',
    'err.ranked.no_rows.fix': '请为每个（query_id, doc_id）添加一行，并写上分数或排名。',
    'err.ranked.mixed_score_rank': '查询“{query}”中既有只有分数的行，也有只有排名的行。',
    'err.ranked.mixed_score_rank.fix': '同一排序的每一行都写分数，或每一行都写排名。',

    # ocr/: tesseract, languages, OCR settings
    'err.ocr.tesseract_missing': '未找到 tesseract OCR 程序（查找的是“{cmd}”）。',
    'err.ocr.tesseract_missing.fix': '请用以下命令安装：{command}（然后重启工作台）。',
    'err.ocr.tesseract_gone': '未找到 tesseract OCR 程序。',
    'err.ocr.tesseract_gone.fix': '请用以下命令安装：{command}',
    'err.ocr.languages_unlisted': '无法列出已安装的 tesseract 语言（{reason}）。',
    'err.ocr.languages_unlisted.fix': '请重新安装 tesseract：{command}',
    'err.ocr.no_language': '没有指定 OCR 语言。',
    'err.ocr.no_language.fix': '例如使用 --langs {default}（已安装：{installed}）。',
    'err.ocr.language_missing': 'OCR 语言 {missing} 未安装。已安装：{installed}。',
    'err.ocr.language_missing.fix': '请从已安装的语言中选择，或用以下命令安装：sudo apt-get install -y {packages}',
    'err.ocr.language_missing_none': 'OCR 语言 {missing} 未安装。已安装：无。',
    'err.ocr.language_missing_none.fix': '请从已安装的语言中选择，或用以下命令安装：sudo apt-get install -y {packages}',
    'err.ocr.timeout': 'OCR 用时超过 {seconds} 秒，已被停止。',
    'err.ocr.timeout.fix': '请把图像裁剪到文字区域，或提高每张图像的超时时间。',
    'err.ocr.failed': 'tesseract 运行失败（{reason}）。',
    'err.ocr.failed.fix': '请将图像重新导出为 PNG 后重试。',
    'err.ocr.tesseract_error': 'tesseract 运行失败（{reason}）。',
    'err.ocr.tesseract_error.fix': '请将图像重新导出为 PNG 后重试；如果问题仍然存在，请报告该图像。',
    'err.ocr.bad_binarize': '未知的二值化设置 {value!r}。',
    'err.ocr.bad_binarize.fix': "请使用 'off'、'otsu' 或 'auto'。",
    'err.ocr.bad_psm': '页面分割模式 {psm} 不存在。',
    'err.ocr.bad_psm.fix': '请使用 0 到 13 之间的 tesseract --psm；6（一个文本块）适合标签。',
    'err.ocr.font_missing': '未找到字体“{font}”。',
    'err.ocr.font_missing.fix': '请安装：sudo apt-get install -y fonts-wqy-microhei',
    'err.ocr.confidence_not_number': 'OCR 置信度阈值必须是 0 到 100 之间的数字（得到的是 {value}）。',
    'err.ocr.confidence_not_number.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.confidence_range': 'OCR 置信度阈值必须在 0 到 100 之间（得到的是 {value}）。',
    'err.ocr.confidence_range.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.word_confidence_not_number': '词置信度阈值必须是 0 到 100 之间的数字（得到的是 {value}）。',
    'err.ocr.word_confidence_not_number.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.word_confidence_range': '词置信度阈值必须在 0 到 100 之间（得到的是 {value}）。',
    'err.ocr.word_confidence_range.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.env_confidence_not_number': '环境变量 {env} 必须是 0 到 100 之间的数字（得到的是 {value}）。',
    'err.ocr.env_confidence_not_number.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.env_confidence_range': '环境变量 {env} 必须在 0 到 100 之间（得到的是 {value}）。',
    'err.ocr.env_confidence_range.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.confidence_of_not_number': '{source} 必须是 0 到 100 之间的数字（得到的是 {value}）。',
    'err.ocr.confidence_of_not_number.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',
    'err.ocr.confidence_of_range': '{source} 必须在 0 到 100 之间（得到的是 {value}）。',
    'err.ocr.confidence_of_range.fix': '例如使用 {example}；0 表示保留 tesseract 读出的所有词。',

    # store/: the database, sessions, sets, runs, labels
    'err.session.not_found': '没有名为“{session}”的会话。',
    'err.session.not_found.fix': '请使用已有的会话名称或 id（已有：{known}）；`workbench sessions` 会列出全部会话。',
    'err.session.not_found_none': '没有名为“{session}”的会话。',
    'err.session.not_found_none.fix': '请使用已有的会话名称或 id（目前还没有会话）；`workbench sessions` 会列出全部会话。',
    'err.session.exists': '名为“{name}”的会话已存在。',
    'err.session.exists.fix': '请换一个名称，或直接打开已有的会话。',
    'err.session.rename_exists': '无法重命名“{name}”：名为“{new}”的会话已存在。',
    'err.session.rename_exists.fix': '请换一个名称，或先删除另一个会话。',
    'err.session.empty_name': '会话名称为空。',
    'err.session.empty_name.fix': '请为会话起一个名称，例如“denim query v2”。',
    'err.store.no_set': '没有 id 为 {set} 的候选集。',
    'err.store.no_set.fix': '请从会话的列表中选择一个候选集（`workbench sessions` 会显示已存储的内容），或重新导入文件。',
    'err.store.no_run': '没有 id 为 {run} 的运行。',
    'err.store.no_run.fix': '请从会话的运行列表中选择一个运行（它可能已被删除）。',
    'err.store.no_document': '候选集 {set} 中没有文档“{doc}”。',
    'err.store.no_document.fix': '请使用该候选集中的 doc_id（在候选集页面上有列出）。',
    'err.labels.unknown_documents': '候选集 {set} 中没有要标注的文档 {docs}。',
    'err.labels.unknown_documents.fix': '请标注属于该候选集的文档（检查 doc_id）。',
    'err.labels.note_unknown_document': '候选集 {set} 中没有要添加备注的文档“{doc}”。',
    'err.labels.note_unknown_document.fix': '请为该候选集中的文档添加备注（检查 doc_id）。',
    'err.store.duplicate_doc': '文档 id“{doc}”在查询“{query}”的候选集中出现了两次。',
    'err.store.duplicate_doc.fix': '请为同一查询的每个文档设置不同的 doc_id。',
    'err.store.set_not_saved': '无法保存查询“{query}”的候选集：{reason}。',
    'err.store.set_not_saved.fix': '该会话可能已在此期间被删除，或某个文档引用了未存储的图像哈希（请改为给出其图像路径）。该候选集的任何内容都未保存。',
    'err.store.bad_run_status': '未知的运行状态“{status}”。',
    'err.store.bad_run_status.fix': '请使用以下之一：{statuses}。',
    'err.store.score_not_finite': '文档“{doc}”的分数为 {value}，不是有限数。',
    'err.store.score_not_finite.fix': '分数必须是实数；请重新运行评分，或修正导入的文件。',
    'err.store.cached_score_not_finite': '文档哈希 {hash} 的缓存分数为 {value}，不是有限数。',
    'err.store.cached_score_not_finite.fix': '分数必须是实数；请重新运行评分，或修正导入的文件。',
    'err.store.image_unreadable': '“{path}”不是可读取的图像（{reason}）。',
    'err.store.image_unreadable.fix': '请将图像重新导出为 JPEG 或 PNG，或将它从候选集中移除。',
    'err.store.image_file_unreadable': '无法读取图像文件“{path}”（{reason}）。',
    'err.store.image_file_unreadable.fix': '请检查文件是否存在；图像路径是相对于被导入文件的。',
    'err.store.db_is_folder': '数据库路径“{path}”是文件夹，不是文件。',
    'err.store.db_is_folder.fix': '请将 WORKBENCH_DB 设为一个文件路径，例如 data/workbench.db。',
    'err.store.db_not_file': '数据库路径“{path}”不是普通文件。',
    'err.store.db_not_file.fix': '请将 WORKBENCH_DB 设为一个文件路径，例如 data/workbench.db。',
    'err.store.readonly_needs_upgrade': '数据库“{path}”在此处是只读的，且由旧版工作台写入（它需要进行结构升级 {upgrades}，而升级需要写入）。',
    'err.store.readonly_needs_upgrade.fix': '请让该文件及其文件夹可写一次，以便工作台升级它；或把它复制到可写的文件夹，并让 WORKBENCH_DB 指向副本。',
    'err.store.newer_db': '数据库“{path}”由更新版本的工作台写入（未知的结构迁移：{migrations}）。',
    'err.store.newer_db.fix': '请更新工作台（git pull，然后 ./run_workbench.sh），或设置 WORKBENCH_DB 使用另一个数据库文件。',
    'err.store.db_unreadable': '无法读取数据库文件“{path}”（{reason}）。',
    'err.store.db_unreadable.fix': '请检查该文件的权限，或将 WORKBENCH_DB 设为另一个数据库文件。',
    'err.store.db_cannot_open': '无法读取数据库文件“{path}”（{reason}）；文件未被改动。',
    'err.store.db_cannot_open.fix': '如果它是工作台数据库，请检查其权限，并确认没有其他程序占用它；否则请将 WORKBENCH_DB 设为另一个数据库文件。',
    'err.store.db_damaged': '数据库文件“{path}”已损坏（{reason}）；文件未被改动。',
    'err.store.db_damaged.fix': '请把该文件移到别处（工作台随后会新建一个），或将 WORKBENCH_DB 设为另一个数据库文件。',
    'err.store.not_sqlite': '“{path}”根本不是 SQLite 数据库，也不是工作台数据库；文件未被改动（没有写入任何内容）。',
    'err.store.not_sqlite.fix': '请让 WORKBENCH_DB 指向一个工作台数据库，或指向一个新文件，例如 {new_file}（首次使用时创建），例如 export WORKBENCH_DB={new_path}',
    'err.store.foreign_db': '“{path}”是其他应用程序的 SQLite 数据库（表：{tables}），不是工作台数据库；文件未被改动（没有写入任何内容）。',
    'err.store.foreign_db.fix': '请让 WORKBENCH_DB 指向一个工作台数据库，或指向一个新文件，例如 {new_file}（首次使用时创建），例如 export WORKBENCH_DB={new_path}',
    'err.store.no_folder': '无法为数据库“{path}”创建文件夹（{reason}）。',
    'err.store.no_folder.fix': '请让 WORKBENCH_DB 指向可写文件夹中的文件。',
    'err.store.disk_full': '磁盘已满：无法写入数据库“{path}”（{detail}）；“{folder}”所在的磁盘剩余 {free}。本次写入已回滚：没有保存任何内容。',
    'err.store.disk_full.fix': '请清理该磁盘上的空间（或把 WORKBENCH_DB 和 WORKBENCH_HOME 移到有空间的磁盘上），然后重新执行同一步骤。',
    'err.store.disk_full_need': '磁盘已满：无法写入数据库“{path}”（{detail}）；“{folder}”所在的磁盘剩余 {free}；本次写入大约需要 {need} 的可用空间。本次写入已回滚：没有保存任何内容。',
    'err.store.disk_full_need.fix': '请清理该磁盘上的空间（或把 WORKBENCH_DB 和 WORKBENCH_HOME 移到有空间的磁盘上），然后重新执行同一步骤。',
    'err.store.disk_full_nofree': '磁盘已满：无法写入数据库“{path}”（{detail}）；涉及“{folder}”所在的磁盘。本次写入已回滚：没有保存任何内容。',
    'err.store.disk_full_nofree.fix': '请清理该磁盘上的空间（或把 WORKBENCH_DB 和 WORKBENCH_HOME 移到有空间的磁盘上），然后重新执行同一步骤。',
    'err.store.disk_full_nofree_need': '磁盘已满：无法写入数据库“{path}”（{detail}）；涉及“{folder}”所在的磁盘；本次写入大约需要 {need} 的可用空间。本次写入已回滚：没有保存任何内容。',
    'err.store.disk_full_nofree_need.fix': '请清理该磁盘上的空间（或把 WORKBENCH_DB 和 WORKBENCH_HOME 移到有空间的磁盘上），然后重新执行同一步骤。',
    'err.store.too_big': '某个值对数据库“{path}”来说太大（{reason}）：SQLite 每个图像或文本最多存储 1 GB。本次写入没有保存任何内容。',
    'err.store.too_big.fix': '请去掉或缩小过大的图像/文本（导入时会自动拒绝这类行：见 WORKBENCH_MAX_IMAGE_MB），然后重试。',
    'err.store.readonly': '数据库文件“{path}”在此处是只读的（{reason}）：可以读取，但不能修改。',
    'err.store.readonly.fix': '读取类命令可照常使用。要修改它，请让该文件及其文件夹可写，或把它复制到可写的文件夹，并让 WORKBENCH_DB 指向副本。',
    'err.store.locked': '数据库文件“{path}”被其他程序锁定（{reason}）。',
    'err.store.locked.fix': '请关闭使用该文件的其他工作台窗口或脚本后重试，或设置 WORKBENCH_DB 使用另一个数据库文件。',
    'err.store.corrupt': '数据库文件“{path}”已损坏，或不是工作台数据库（{reason}）。',
    'err.store.corrupt.fix': '请把该文件移到别处（工作台会新建一个），或将 WORKBENCH_DB 指向另一个数据库文件。',
    'err.store.cannot_write': '无法以写入方式打开数据库文件“{path}”（{reason}）。',
    'err.store.cannot_write.fix': '请检查该文件的权限和磁盘剩余空间，或将 WORKBENCH_DB 设为可写的位置。',
    'err.store.error': '数据库“{path}”出错：{reason}',
    'err.store.error.fix': '请重试；如果问题仍然存在，请把该文件移到别处，或将 WORKBENCH_DB 设为另一个数据库文件。',

    # service.py: resuming runs, exports, notes, OCR of a session, labels and runs imported into a session
    'err.resume.imported': '运行 {run} 是从其他系统导入的，无法继续。',
    'err.resume.imported.fix': '请改为重新对该候选集做重排序（新建一个运行）。',
    'err.resume.still_running': '运行 {run} 仍在由 {host} 上的进程 {pid} 评分。',
    'err.resume.still_running.fix': '请等待它完成，或先停止该进程（其运行随后会保留为已取消状态，可以继续）。',
    'err.resume.other_model': '运行 {run} 是用 {backend} 模型“{model}”评分的，而不是“{new_model}”。',
    'err.resume.other_model.fix': '请用模型“{model}”继续（--model 指向该模型的文件夹，或 WORKBENCH_MODEL；在应用中请选择该模型），或用当前模型把该候选集作为新运行重新排序。',
    'err.resume.other_settings': '运行 {run} 是用其他设置评分的（{settings}：{changes}）。',
    'err.resume.other_settings.fix': '请用该运行的设置继续（相同的 --max-length / --min-pixels / --max-pixels / --dtype），或把该候选集作为新运行重新排序。',
    'err.paste.empty': '没有提供任何文档：粘贴的文本为空。',
    'err.paste.empty.fix': '请每行粘贴一个文档，或选择一个已存储的候选集。',
    'err.export.bad_format': '未知的导出格式“{format}”。',
    'err.export.bad_format.fix': "请使用 'long' 或 'wide'。",
    'err.export.bad_tidy_format': '未知的整洁数据导出格式“{format}”。',
    'err.export.bad_tidy_format.fix': "请使用 'csv' 或 'parquet'。",
    'err.export.nothing_named': '没有指定要导出的内容。',
    'err.export.nothing_named.fix': '请选择一个会话，或一个或多个运行。',
    'err.export.no_runs': '会话“{session}”没有可导出的运行。',
    'err.export.no_runs.fix': '请先对其中一个候选集做重排序（重排序页面，或 `workbench rerank --session {quoted} --model ...`），或导入运行。',
    'err.export.bad_tag': '运行标签“{tag}”为空或包含空白字符。',
    'err.export.bad_tag.fix': '请给出不含空格的标签，例如 lychee_web。',
    'err.export.tag_clash': '一个标签“{tag}”不能用于 {count} 个运行：查询“{query}”有多个运行。',
    'err.export.tag_clash.fix': '请不要指定标签（每个运行以其名称作为标签），或一次只导出一个运行。',
    'err.export.no_labels': '会话“{session}”没有可导出的标注。',
    'err.export.no_labels.fix': '请先把文档标注为 0/1/2（重排序或会话页面），或导入 qrels。',
    'err.note.run_too_long': '备注长达 {length} 个字符。',
    'err.note.run_too_long.fix': '运行备注请控制在 10,000 个字符以内；更长的文字请放在文件中。',
    'err.note.too_long': '备注长达 {length} 个字符。',
    'err.note.too_long.fix': '备注请控制在 10,000 个字符以内。',
    'err.runs.still_pending': '运行 {run}（“{label}”）仍在等待中。',
    'err.runs.still_pending.fix': '请先取消它（或等待它完成），然后再删除。',
    'err.runs.still_running': '运行 {run}（“{label}”）仍在运行中。',
    'err.runs.still_running.fix': '请先取消它（或等待它完成），然后再删除。',
    'err.runs.unknown_queries': '会话“{session}”中没有查询 id 为 {queries} 的候选集。',
    'err.runs.unknown_queries.fix': '请先导入这些查询的候选集，或把 query_id 列改为以下之一：{valid}。',
    'err.runs.unknown_documents': '会话“{session}”的查询“{query}”中没有文档 {docs}。',
    'err.runs.unknown_documents.fix': '请检查 doc_id 列：排序必须使用已导入候选集中的 id。',
    'err.runs.none_picked': '没有选择要对比的运行。',
    'err.runs.none_picked.fix': '请选择至少两种指令或后端的运行（先对一个候选集做重排序）。',
    'err.runs.bad_k': 'k 必须至少为 1（得到的是 {k}）。',
    'err.runs.bad_k.fix': '例如使用 --k 10。',
    'err.runs.not_in_session': '运行 {runs} 不属于会话“{session}”。',
    'err.runs.not_in_session.fix': '请选择该会话中的运行。',
    'err.runs.none_finished': '会话“{session}”没有可并排对比的已完成运行。',
    'err.runs.none_finished.fix': '请先对其中一个候选集做重排序，或从其他系统导入运行。',
    'err.runs.no_runs_for_query': '会话“{session}”中没有查询“{query}”的运行。',
    'err.runs.no_runs_for_query.fix': '请从以下查询中选择：{valid}。',
    'err.ocr.session_no_sets': '会话“{session}”没有可做 OCR 的候选集。',
    'err.ocr.session_no_sets.fix': '请先导入一个（导入页面，或：workbench import FILE --session {quoted}）',
    'err.ocr.sets_not_in_session': '候选集 {sets} 不在会话“{session}”中。',
    'err.ocr.sets_not_in_session.fix': '请从它的候选集中选择：{valid}。',
    'err.ocr.set_unknown_documents': '候选集 {set} 中没有文档 {docs}。',
    'err.ocr.set_unknown_documents.fix': '请使用它的文档 id，例如 {valid}。',
    'err.ocr.session_unknown_documents': '会话“{session}”中没有文档 {docs}。',
    'err.ocr.session_unknown_documents.fix': '请检查文档 id（在 OCR 页面和导出文件中有列出）。',
    'err.labels.qrels_unknown_queries': '会话“{session}”中没有查询 id 为 {queries} 的候选集（标注中 {total} 个查询里有 {count} 个）。',
    'err.labels.qrels_unknown_queries.fix': '请先导入这些查询的候选集，或跳过它们（--skip-unknown，或勾选“跳过候选集之外的判定”选项），或从 qrels 中删除这些行 / 把查询 id 改为该会话中的 id：{valid}。',
    'err.labels.qrels_unknown_queries_no_sets': '会话“{session}”中没有查询 id 为 {queries} 的候选集（标注中 {total} 个查询里有 {count} 个）。',
    'err.labels.qrels_unknown_queries_no_sets.fix': '请先导入这些查询的候选集，或跳过它们（--skip-unknown，或勾选“跳过候选集之外的判定”选项），或从 qrels 中删除这些行 / 把查询 id 改为该会话中的 id：（无：请先导入一个候选集）。',
    'err.labels.qrels_unknown_documents': '会话“{session}”的查询“{query}”中没有文档 {docs}；没有应用任何标注。',
    'err.labels.qrels_unknown_documents.fix': '请使用已导入候选集的文档 id（查询“{query}”：{valid}），删除不在候选集中的文档的判定，或跳过它们（--skip-unknown，或勾选“跳过候选集之外的判定”选项）。',
    'err.labels.qrels_unknown_documents_many': '会话“{session}”的查询“{query}”中没有文档 {docs}（{queries} 个查询中共有 {count} 个未知文档）；没有应用任何标注。',
    'err.labels.qrels_unknown_documents_many.fix': '请使用已导入候选集的文档 id（查询“{query}”：{valid}），删除不在候选集中的文档的判定，或跳过它们（--skip-unknown，或勾选“跳过候选集之外的判定”选项）。',

    # model.py: labels
    'err.labels.bad_grade': '文档“{doc}”的标注 {grade} 不是有效的相关性等级。',
    'err.labels.bad_grade.fix': '请使用 0（不相关）、1（部分相关）或 2（相关）。',

    # ocr/batch.py: cancelled OCR
    'err.ocr.cancelled': 'OCR 已在完成 {total} 张图像中的 {done} 张后取消；已完成的结果会保留。',
    'err.ocr.cancelled.fix': '再次运行 OCR 即可处理其余图像：已完成的图像会直接从缓存读取。',

    # i18n/nested.py: a rejected row quoted inside another error (like str(RowError))
    'err.row.line': '第 {line} 行',
    'err.row.column': '“{column}”列',
    'err.row.where': '{where}：{message}',
    'err.row.where_fix': '{where}：{message}\n解决方法：{fix}',
    'err.row.only': '{message}',
    'err.row.fix': '{message}\n解决方法：{fix}',
})


# ======================================================================= err_engine
# errors of workbench/rerank, compare, parity, jobs, hub, config, doctor (err.<code>)
MESSAGES.update({
})
