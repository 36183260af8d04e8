"""The app's texts in English: one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} set|{n} sets',
})


# ======================================================================= app
# app.py: page titles, navigation; ui/state.py; ui/widgets.py (sidebar, errors, model choice, uploads)
MESSAGES.update({
    'app.title': 'Lychee rerank workbench',
    'app.language': 'Language',
    'nav.home': 'Home',
    'nav.import': 'Import',
    'nav.ocr': 'OCR',
    'nav.rerank': 'Rerank',
    'nav.compare': 'Compare',
    'nav.matrix': 'Matrix',
    'nav.label': 'Label',
    'nav.sessions': 'Sessions',
    'err.how_to_fix': 'How to fix:',
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
    # formats/decode.py: text encodings
    'err.encoding.unknown': "Unknown encoding '{encoding}'.",
    'err.encoding.unknown.fix': 'Use a Python codec name such as utf-8, utf-8-sig, utf-16, gbk or gb18030.',
    'err.encoding.not_text': "'{encoding}' is not a text encoding (it is a {transform} transform of bytes, not a character set), so a file cannot be read with it.",
    'err.encoding.not_text.fix': 'Give the character encoding the file was saved in, e.g. utf-8, gbk, gb18030, utf-16 or latin-1; or leave out --encoding to detect it.',
    'err.encoding.undetected': 'Could not work out the text encoding of {name} (tried UTF-8, UTF-16, GBK/GB18030); it may be a binary file such as .xlsx.',
    'err.encoding.undetected.fix': "Re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or name its encoding, e.g. --encoding gbk (or encoding='gbk').",
    'err.encoding.invalid_bytes': '{name} is not valid {encoding}: byte {byte} on line {line} cannot be decoded.',
    'err.encoding.invalid_bytes.fix': "Pass the file's real encoding (e.g. --encoding gbk), leave out --encoding to detect it, or re-save the file as UTF-8.",
    'err.encoding.mixed_utf8': '{name} is UTF-8 except line(s) {lines}: byte {byte} at character {char} is not valid UTF-8 on line {line}.',
    'err.encoding.mixed_utf8.fix': 'Fix or remove those lines (or re-save the file as UTF-8) and import it again.',

    # limits.py, formats/safezip.py, formats/tables.py: limits, ZIP, CSV, JSON
    'err.limits.not_a_number': '{env}={value!r} is not a number.',
    'err.limits.not_a_number.fix': 'Set {env} to a number (default {default}), or unset it.',
    'err.limits.not_positive': '{env}={value!r} must be more than 0.',
    'err.limits.not_positive.fix': 'Unset {env} for the default ({default}).',
    'err.zip.unreadable': "'{name}' is not a readable ZIP archive ({reason}).",
    'err.zip.unreadable.fix': 'Re-create the ZIP and import it again.',
    'err.zip.too_many_entries': "'{name}' is over the limit of {limit} (entries in one ZIP): it has {count} entries.",
    'err.zip.too_many_entries.fix': 'Put only the candidate file and its images in the ZIP. If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.zip.too_big_declared': "'{name}' is over the limit of {limit} (everything a ZIP unpacks to): it says it unpacks to {mb} MB.",
    'err.zip.too_big_declared.fix': 'Split the set into smaller archives. If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.zip.too_big_unpacked': "'{name}' is over the limit of {limit} (everything a ZIP unpacks to): it unpacked past {mb} MB (at entry '{entry}').",
    'err.zip.too_big_unpacked.fix': 'Split the set into smaller archives. If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.zip.entry_too_big': "ZIP entry '{name}' is over the limit of {limit} (size of one candidate file): it unpacks to more than {mb} MB.",
    'err.zip.entry_too_big.fix': 'If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.zip.image_too_big': "ZIP entry '{name}' is over the limit of {limit} (one image file): it unpacks to more than {mb} MB.",
    'err.zip.image_too_big.fix': 'If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.zip.bomb': "ZIP entry '{name}' is over the limit of {limit} (compression ratio of one ZIP entry): {packed} packed bytes unpacked to more than {written} ({ratio}:1) - a 'ZIP bomb' shape.",
    'err.zip.bomb.fix': 'Check where the archive came from; genuine candidate files rarely compress better than {max_ratio}:1. If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.zip.bad_crc': "ZIP entry '{name}' is damaged (bad CRC checksum: its bytes are not the ones that were packed).",
    'err.zip.bad_crc.fix': 'Re-create the ZIP from the original files (or re-download it) and import it again.',
    'err.zip.damaged': "ZIP entry '{name}' is damaged ({reason}).",
    'err.zip.damaged.fix': 'Re-create the ZIP from the original files (or re-download it) and import it again.',
    'err.zip.cannot_unpack': "ZIP entry '{name}' cannot be unpacked ({reason}).",
    'err.zip.cannot_unpack.fix': 'Re-create the ZIP with ordinary (deflate) compression and no password, and import it again.',
    'err.table.too_many_columns': '{name} is over the limit of {limit} (columns of one file): it has {count} columns.',
    'err.table.too_many_columns.fix': 'Keep the candidate columns and the metadata you need. If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.table.row_too_long': 'the row is longer than the limit of {limit} per row.',
    'err.table.row_too_long.fix': 'Shorten the row; for genuine long rows raise the limit with {env} (now {now}), e.g. {env}={example}.',
    'err.table.row_too_long_size': 'the row is longer than the limit of {limit} per row ({mb} MB).',
    'err.table.row_too_long_size.fix': 'Shorten the row; for genuine long rows raise the limit with {env} (now {now}), e.g. {env}={example}.',
    'err.table.missing_columns': '{name} lacks the required column(s) {missing}. Found columns: {found}.',
    'err.table.missing_columns.fix': 'Add the missing column(s) to the header: query_id, doc_id, and for the query and the document a text and/or an image column ({columns}; values may be empty). If the columns look right, the delimiter or encoding may be wrong (try --encoding).',
    'err.table.no_columns': '{name} lacks the required column(s) {missing}. Found columns: (none).',
    'err.table.no_columns.fix': 'Add the missing column(s) to the header: query_id, doc_id, and for the query and the document a text and/or an image column ({columns}; values may be empty). If the columns look right, the delimiter or encoding may be wrong (try --encoding).',
    'err.table.duplicate_columns': '{name} has the column(s) {columns} more than once.',
    'err.table.duplicate_columns.fix': 'Keep one column per name; rename or delete the copies.',
    'err.csv.empty': '{name} is empty.',
    'err.csv.empty.fix': 'Add a header row with the columns {columns} and one row per (query, document).',
    'err.csv.header_field_too_big': '{name}: a field of the header row is over the limit of {limit} (one CSV field).',
    'err.csv.header_field_too_big.fix': 'Close the quote in the first line if one is open. If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.csv.header_too_long': '{name}: the header row is over the limit of {limit} (one row of the file).',
    'err.csv.header_too_long.fix': 'If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.csv.bad_header': '{name}: the header row cannot be read as CSV ({reason}).',
    'err.csv.bad_header.fix': 'Check the quotes in the first line.',
    'err.csv.field_too_big': 'a field of this row is longer than {limit} (or a quote is never closed, so the rest of the file reads as one field).',
    'err.csv.field_too_big.fix': 'Close the quote if one is open. For a genuine long text raise the limit with {env} (now {now}), e.g. {env}={example}.',
    'err.csv.bad_row': 'the row cannot be read as CSV ({reason}).',
    'err.csv.bad_row.fix': 'Close the quote or remove the stray quote character in this row.',
    'err.csv.fields_missing': "the row has {fields} fields but the header has {columns}; '{column}' and later columns are missing.",
    'err.csv.fields_missing.fix': 'Give every row exactly one value per header column; quote values that contain commas ("a, b").',
    'err.csv.fields_extra': 'the row has {fields} fields but the header has {columns}.',
    'err.csv.fields_extra.fix': 'Give every row exactly one value per header column; quote values that contain commas ("a, b").',
    'err.json.too_deep': 'the JSON is nested {depth} levels deep, over the limit of {limit} levels.',
    'err.json.too_deep.fix': 'Flatten the value (rows need plain values, a list or a small object at most); for genuine deep data raise the limit with {env} (now {now}).',
    'err.json.array_not_closed': '{name}: the JSON array is not closed.',
    'err.json.array_not_closed.fix': "End the file with ']'.",
    'err.json.invalid': '{name}, line {line}: invalid JSON ({reason}).',
    'err.json.invalid.fix': 'Fix the JSON syntax there, or save the rows as JSONL (one object per line).',
    'err.json.number_too_long': '{name}, line {line}: a JSON value cannot be read (a number has more than 4300 digits).',
    'err.json.number_too_long.fix': 'Write numbers with fewer digits (or as strings), and fix that element.',
    'err.json.bad_value': '{name}, line {line}: a JSON value cannot be read ({reason}).',
    'err.json.bad_value.fix': 'Write numbers with fewer digits (or as strings), and fix that element.',
    'err.json.line_invalid': 'the line is not valid JSON ({reason} at character {char}).',
    'err.json.line_invalid.fix': 'Write one JSON object per line, e.g. {{"query_id": "q1", "doc_id": "d1", ...}}.',
    'err.json.line_number_too_long': 'a value on the line cannot be read (a number has more than 4300 digits).',
    'err.json.line_number_too_long.fix': 'Write numbers with fewer digits (or as strings).',
    'err.json.line_bad_value': 'a value on the line cannot be read ({reason}).',
    'err.json.line_bad_value.fix': 'Write numbers with fewer digits (or as strings).',
    'err.json.line_not_object': 'the line is JSON but not an object.',
    'err.json.line_not_object.fix': 'Write one JSON object ({{...}}) per line.',
    'err.json.empty': '{name} is empty.',
    'err.json.empty.fix': 'Write one JSON object per line with the keys {columns}.',

    # formats/candidates.py, formats/image_data.py: importing candidate files, rejected rows
    'err.import.no_such_file': "'{path}' does not exist.",
    'err.import.no_such_file.fix': 'Check the path of the file to import.',
    'err.import.folder_several_tables': "The folder '{path}' holds several candidate files: {files}.",
    'err.import.folder_several_tables.fix': 'Import one of them by its file name.',
    'err.import.folder_no_table': "'{path}' is a folder with no CSV/JSONL file in it.",
    'err.import.folder_no_table.fix': 'To import a folder of images as one set, type the query text (CLI: --query-text).',
    'err.import.spreadsheet': "'{name}' is a spreadsheet, not a text table.",
    'err.import.spreadsheet.fix': "In Excel use File > Save As > 'CSV UTF-8 (comma delimited)' and import the .csv.",
    'err.import.unsupported_type': "'{name}' is not a supported candidate file ({suffix}).",
    'err.import.unsupported_type.fix': 'Import a .csv, .tsv, .jsonl or .zip file, or a folder of images with a query text (CLI: --query-text).',
    'err.import.no_extension': "'{name}' is not a supported candidate file (no extension).",
    'err.import.no_extension.fix': 'Import a .csv, .tsv, .jsonl or .zip file, or a folder of images with a query text (CLI: --query-text).',
    'err.import.file_too_big': "'{name}' is over the limit of {limit} (size of one candidate file): it is {mb} MB.",
    'err.import.file_too_big.fix': 'Split it into several files (one per group of queries). If the file is genuine, raise the limit with the environment variable {env} (now {now}), e.g. {env}={example}, and import again.',
    'err.import.no_rows': '{name} has a header but no data rows, so nothing was imported.',
    'err.import.no_rows.fix': 'Add one row per (query, document) under the header and import again.',
    'err.import.all_rejected': '{name}: nothing was imported; all {count} row(s) were rejected:\n{rows}',
    'err.import.all_rejected.fix': 'Fix the rows listed above (download the rejected rows as CSV to see all of them) and import again.',
    'err.import.all_rejected_more': '{name}: nothing was imported; all {count} row(s) were rejected:\n{rows}\n  … and {more} more',
    'err.import.all_rejected_more.fix': 'Fix the rows listed above (download the rejected rows as CSV to see all of them) and import again.',
    'err.import.not_a_folder': "'{path}' is not a folder.",
    'err.import.not_a_folder.fix': 'Give the path of a folder that holds the images.',
    'err.import.folder_no_query': 'The query is empty.',
    'err.import.folder_no_query.fix': 'Type the query text for the folder of images (CLI: --query-text).',
    'err.import.folder_no_images': "The folder '{path}' holds no images.",
    'err.import.folder_no_images.fix': 'Put .jpg/.png/.webp images in the folder (sub-folders are included).',
    'err.import.query_image_bad': 'query image: {reason}',
    'err.import.query_image_bad.fix': '{fix}',
    'err.import.no_query_id': 'query_id is empty.',
    'err.import.no_query_id.fix': 'Give every row the id of its query (e.g. q1).',
    'err.import.no_doc_id': 'doc_id is empty.',
    'err.import.no_doc_id.fix': 'Give every row a document id, unique within its query.',
    'err.import.empty_query': "query '{query}' is empty: it has neither query_text nor query_image.",
    'err.import.empty_query.fix': 'Write the query text, or give the path of a query image, on every row of this query.',
    'err.import.empty_document': "document '{doc}' has neither doc_text nor doc_image.",
    'err.import.empty_document.fix': 'Write the document text or give the path of its image, or delete the row.',
    'err.import.bad_label': "label '{value}' is not a relevance grade.",
    'err.import.bad_label.fix': 'Use 0 (not relevant), 1 (partly relevant) or 2 (relevant), or leave it empty.',
    'err.import.score_not_number': "first_stage_score '{value}' is not a number.",
    'err.import.score_not_number.fix': 'Write a plain number such as 0.82 (dot as decimal separator) or leave it empty.',
    'err.import.score_not_finite': "first_stage_score '{value}' is not a finite number.",
    'err.import.score_not_finite.fix': 'Write a finite number or leave it empty.',
    'err.import.query_text_differs': "query '{query}' has a different query_text than on line {first_line} ('{text}' vs '{first_text}').",
    'err.import.query_text_differs.fix': 'Use the same query_text on every row of one query_id, or give the other query its own id.',
    'err.import.query_image_differs': "query '{query}' has a different query_image than on line {first_line}.",
    'err.import.query_image_differs.fix': 'Use the same query_image on every row of one query_id, or give the other query its own id.',
    'err.import.duplicate_doc': "doc_id '{doc}' appears twice in query '{query}' (first on line {first_line}).",
    'err.import.duplicate_doc.fix': 'Give each document of a query its own doc_id, or delete the duplicate row.',
    'err.import.id_nul': '{column} contains a NUL byte (\\0), which an id cannot hold.',
    'err.import.id_nul.fix': 'Remove the control character from {column} (ids are plain text).',
    'err.import.id_surrogate': '{column} contains an unpaired UTF-16 surrogate escape, which an id cannot hold.',
    'err.import.id_surrogate.fix': 'Remove the control character from {column} (ids are plain text).',
    'err.encoding.bad_row': 'the row holds bytes that are not {encoding} (byte {byte} at character {char} is not valid UTF-8); the row was not imported (the rest of the file is {encoding} and was imported).',
    'err.encoding.bad_row.fix': 'Correct the row (re-type the garbled characters) or re-save the whole file as UTF-8, and import it again; if the whole file is in another encoding, name it (CLI: --encoding NAME).',
    'err.encoding.bad_row_line': 'line {line} of the row holds bytes that are not {encoding} (byte {byte} at character {char} is not valid UTF-8); the row was not imported (the rest of the file is {encoding} and was imported).',
    'err.encoding.bad_row_line.fix': 'Correct the row (re-type the garbled characters) or re-save the whole file as UTF-8, and import it again; if the whole file is in another encoding, name it (CLI: --encoding NAME).',
    'err.import.image_path_nul': 'the image path contains a NUL byte.',
    'err.import.image_path_nul.fix': "Write the image's relative path without control characters, or leave the cell empty.",
    'err.import.image_url': "'{raw}' is a URL; images are not downloaded.",
    'err.import.image_url.fix': 'Download the image next to the file and give its relative path.',
    'err.import.image_absolute': "'{raw}' is an absolute path; image paths must be relative to the imported file.",
    'err.import.image_absolute.fix': "Copy the image into the file's folder (e.g. images/) and write the path relative to the file, e.g. images/cat.jpg.",
    'err.import.image_dotdot': "'{raw}' uses '..' to leave the set's folder.",
    'err.import.image_dotdot.fix': "Keep images inside the file's folder (e.g. images/) and refer to them without '..'.",
    'err.import.image_link_outside': "'{raw}' points outside the set's folder (through a link).",
    'err.import.image_link_outside.fix': "Copy the image itself into the file's folder.",
    'err.import.image_missing': "image file '{raw}' does not exist.",
    'err.import.image_missing.fix': 'Check the spelling (paths are case-sensitive) and that the image is in the folder of the imported file (when uploading, put the file and its images in one ZIP), or leave the cell empty.',
    'err.import.image_is_folder': "'{raw}' is a folder, not an image file.",
    'err.import.image_is_folder.fix': 'Check the spelling (paths are case-sensitive) and that the image is in the folder of the imported file (when uploading, put the file and its images in one ZIP), or leave the cell empty.',
    'err.import.image_unreadable': "image '{raw}' cannot be read: {reason}",
    'err.import.image_unreadable.fix': '{fix}',
    'err.import.image_unreadable_nofix': "image '{raw}' cannot be read: {reason}",
    'err.import.image_unreadable_nofix.fix': 'Re-export the image as JPEG or PNG.',
    'err.import.image_too_big': "image '{raw}' is {mb} MB, over the limit of {limit_mb} MB per image (the row was not imported; the other rows were).",
    'err.import.image_too_big.fix': 'Shrink or re-export the image (JPEG or PNG at a normal size), or leave the cell empty. A genuine image this large can be allowed with {env} (now {now} MB).',
    'err.import.image_too_big_db': "image '{raw}' is {mb} MB, over the limit of {limit_mb} MB per image (the row was not imported; the other rows were).",
    'err.import.image_too_big_db.fix': 'Shrink or re-export the image (JPEG or PNG at a normal size), or leave the cell empty. A genuine image this large can be allowed with {env} (now {now} MB, at most about 950 MB: the database stores at most 1 GB per value).',
    'err.zip.entry_symlink': "ZIP entry '{entry}' is a symbolic link; it was not extracted.",
    'err.zip.entry_symlink.fix': "Re-create the ZIP from inside the set's folder so that every entry is a plain relative path.",
    'err.zip.entry_outside': "ZIP entry '{entry}' points outside the archive folder (zip-slip); it was not extracted.",
    'err.zip.entry_outside.fix': "Re-create the ZIP from inside the set's folder so that every entry is a plain relative path.",
    'err.zip.no_table': "'{name}' holds no CSV or JSONL file.",
    'err.zip.no_table.fix': 'Put one candidates.csv (or .jsonl) in the ZIP next to its images.',
    'err.zip.several_tables': "'{name}' holds several candidate files: {files}.",
    'err.zip.several_tables.fix': 'Put exactly one CSV/JSONL file in the ZIP.',

    # images.py: image files
    'err.image.missing': "Image file '{path}' does not exist.",
    'err.image.missing.fix': "Check the path and its spelling; image paths in an imported file are relative to that file's folder.",
    'err.image.is_folder': "'{path}' is a folder, not an image file.",
    'err.image.is_folder.fix': 'Point the image column at a file inside the folder.',
    'err.image.empty': "Image file '{path}' is empty (0 bytes).",
    'err.image.empty.fix': 'The file was probably not fully copied or downloaded: copy it again, or remove it from the set.',
    'err.image.too_many_pixels': "'{path}' is {width}×{height} = {mp} MP, above the safety limit of {limit_mp} MP (a decompression-bomb guard: such files can exhaust memory).",
    'err.image.too_many_pixels.fix': 'Resize the image below the limit (e.g. to 4000 px on the long side) and import it again.',
    'err.image.too_many_pixels_unknown': "'{path}' is too many pixels, above the safety limit of {limit_mp} MP (a decompression-bomb guard: such files can exhaust memory).",
    'err.image.too_many_pixels_unknown.fix': 'Resize the image below the limit (e.g. to 4000 px on the long side) and import it again.',
    'err.image.not_image': "'{path}' is not an image in any format we can read (its content is not JPEG, PNG, WebP, GIF, HEIC, AVIF, TIFF, BMP…, whatever its name says).",
    'err.image.not_image.fix': "Check that this is the right file (it may be a web page or text saved with an image name); Re-export the image as JPEG or PNG (any image editor or phone 'share as JPEG' does it), or remove it from the set.",
    'err.image.truncated': "'{path}' is truncated: the image data ends early ({reason}).",
    'err.image.truncated.fix': 'The file was cut off while copying or downloading: get a complete copy, or remove it from the set.',
    'err.image.undecodable': "'{path}' could not be decoded ({reason}).",
    'err.image.undecodable.fix': "Re-export the image as JPEG or PNG (any image editor or phone 'share as JPEG' does it), or remove it from the set.",
    'err.image.bad_thumbnail_size': 'Thumbnail size must be a positive number of pixels, not {size}.',
    'err.image.bad_thumbnail_size.fix': 'Use a size such as 128 or 256.',

    # formats/trec.py, formats/ranked_csv.py: TREC qrels/run files, ranked-results CSV
    'err.trec.invalid': 'Not a valid TREC {kind} file: {reason}',
    'err.trec.invalid.fix': '{fix}',
    'err.trec.invalid_many': 'Not a valid TREC {kind} file: {reason} ({count} bad lines in all: {lines})',
    'err.trec.invalid_many.fix': '{fix}',
    'err.trec.is_folder': "'{path}' is a folder, not a TREC file.",
    'err.trec.is_folder.fix': 'Give the path of the qrels / run file itself (e.g. folder/qrels.txt).',
    'err.trec.no_such_file': "TREC file '{path}' does not exist.",
    'err.trec.no_such_file.fix': 'Check the path and the spelling of the file name.',
    'err.trec.not_utf8': 'TREC file {name} is not UTF-8 (byte {byte} cannot be decoded).',
    'err.trec.not_utf8.fix': 'Save the file as UTF-8 (query and document ids must be UTF-8 text).',
    'err.trec.not_utf8_unnamed': 'TREC file is not UTF-8 (byte {byte} cannot be decoded).',
    'err.trec.not_utf8_unnamed.fix': 'Save the file as UTF-8 (query and document ids must be UTF-8 text).',
    'err.trec.qrels_fields': "expected 4 fields, found {found}: '{text}'",
    'err.trec.qrels_fields.fix': "Each qrels line must read: qid 0 docid relevance   (e.g. 'q1 0 doc7 2'). Doc ids cannot contain spaces.",
    'err.trec.relevance_not_int': "relevance '{value}' is not a whole number",
    'err.trec.relevance_not_int.fix': 'Use 0 (not relevant), 1 (partly relevant) or 2 (relevant) in the 4th column.',
    'err.trec.relevance_range': "relevance {grade} is outside the workbench's grades 0, 1, 2",
    'err.trec.relevance_range.fix': 'Rescale the grades to 0/1/2, or import with clip=True (--clip) to map negatives to 0 and grades above 2 to 2.',
    'err.trec.conflicting_judgments': "document '{doc}' of query '{query}' is judged {grade_before} on line {first_line} and {grade} here",
    'err.trec.conflicting_judgments.fix': 'Keep one judgment per query and document.',
    'err.trec.no_judgments': 'No judgments found in qrels file {name}.',
    'err.trec.no_judgments.fix': "Each line must read: qid 0 docid relevance   (e.g. 'q1 0 doc7 2').",
    'err.trec.no_judgments_unnamed': 'No judgments found in qrels file.',
    'err.trec.no_judgments_unnamed.fix': "Each line must read: qid 0 docid relevance   (e.g. 'q1 0 doc7 2').",
    'err.trec.run_fields': "expected 6 fields, found {found}: '{text}'",
    'err.trec.run_fields.fix': "Each run line must read: qid Q0 docid rank score tag   (e.g. 'q1 Q0 doc7 1 0.93 my-run'). Ids and the tag cannot contain spaces.",
    'err.trec.rank_not_int': "rank '{value}' is not a whole number",
    'err.trec.rank_not_int.fix': 'Put the 1-based rank in the 4th column.',
    'err.trec.score_not_finite': "score '{value}' is not a finite number",
    'err.trec.score_not_finite.fix': 'Put the numeric score in the 5th column (higher = better).',
    'err.trec.duplicate_doc': "document '{doc}' appears twice for query '{query}' in run '{tag}' (first on line {first_line})",
    'err.trec.duplicate_doc.fix': 'Keep one line per query, document and run tag.',
    'err.trec.no_ranked_docs': 'No ranked documents found in run file {name}.',
    'err.trec.no_ranked_docs.fix': "Each line must read: qid Q0 docid rank score tag   (e.g. 'q1 Q0 doc7 1 0.93 my-run').",
    'err.trec.no_ranked_docs_unnamed': 'No ranked documents found in run file.',
    'err.trec.no_ranked_docs_unnamed.fix': "Each line must read: qid Q0 docid rank score tag   (e.g. 'q1 Q0 doc7 1 0.93 my-run').",
    'err.trec.run_no_query': 'Run {run} has no query id, which the TREC run format needs.',
    'err.trec.run_no_query.fix': "Export runs loaded from the store (they carry their candidate set's query id), or set Run.query_id.",
    'err.trec.run_no_query_unnamed': 'Run has no query id, which the TREC run format needs.',
    'err.trec.run_no_query_unnamed.fix': "Export runs loaded from the store (they carry their candidate set's query id), or set Run.query_id.",
    'err.trec.bad_query_id': "The query id '{value}' is empty or contains whitespace, which TREC files cannot hold.",
    'err.trec.bad_query_id.fix': "Rename the query id without spaces (e.g. replace them with '_') before exporting.",
    'err.trec.bad_doc_id': "The document id '{value}' is empty or contains whitespace, which TREC files cannot hold.",
    'err.trec.bad_doc_id.fix': "Rename the document id without spaces (e.g. replace them with '_') before exporting.",
    'err.ranked.is_folder': "'{path}' is a folder, not a ranked-results CSV.",
    'err.ranked.is_folder.fix': 'Give the path of the CSV file itself (e.g. folder/ranked.csv).',
    'err.ranked.no_such_file': "'{path}' does not exist.",
    'err.ranked.no_such_file.fix': 'Check the path of the ranked-results CSV.',
    'err.ranked.empty': '{name} is empty.',
    'err.ranked.empty.fix': 'A ranked-results CSV needs a header row with query_id, doc_id and score and/or rank (optional: instruction, backend, model), then one row per ranked document.',
    'err.ranked.missing_columns': '{name} lacks the column(s) {missing}. Found columns: {found}.',
    'err.ranked.missing_columns.fix': 'A ranked-results CSV needs query_id, doc_id and a score and/or rank column (optional: instruction, backend, model).',
    'err.ranked.no_query_id': 'query_id is empty.',
    'err.ranked.no_query_id.fix': 'Give every row the query id it was ranked for.',
    'err.ranked.no_doc_id': 'doc_id is empty.',
    'err.ranked.no_doc_id.fix': 'Give every row the id of the ranked document.',
    'err.ranked.bad_score': "score '{value}' is not a finite number.",
    'err.ranked.bad_score.fix': 'Write a plain number such as 0.93.',
    'err.ranked.bad_rank': "rank '{value}' is not a whole number from 1 up.",
    'err.ranked.bad_rank.fix': 'Write ranks as 1, 2, 3 …',
    'err.ranked.no_score_or_rank': 'the row has neither a score nor a rank.',
    'err.ranked.no_score_or_rank.fix': 'Fill in the score or the rank of this document.',
    'err.ranked.duplicate_doc': "doc_id '{doc}' is ranked twice for query '{query}' (first on line {first_line}).",
    'err.ranked.duplicate_doc.fix': 'Keep one row per document and query, or give the second ranking its own instruction/model.',
    'err.ranked.row_errors': '{reason} ({more} more row(s) have errors too)',
    'err.ranked.row_errors.fix': '{fix}',
    'err.ranked.no_rows': '{name} holds no ranked rows.',
    'err.ranked.no_rows.fix': 'Add one row per (query_id, doc_id) with a score or rank.',
    'err.ranked.mixed_score_rank': "query '{query}' mixes rows with only a score and rows with only a rank.",
    'err.ranked.mixed_score_rank.fix': 'Give every row of one ranking a score, or every row a rank.',

    # ocr/: tesseract, languages, OCR settings
    'err.ocr.tesseract_missing': "The tesseract OCR program was not found (looked for '{cmd}').",
    'err.ocr.tesseract_missing.fix': 'Install it with: {command}  (then restart the workbench).',
    'err.ocr.tesseract_gone': 'The tesseract OCR program was not found.',
    'err.ocr.tesseract_gone.fix': 'Install it with: {command}',
    'err.ocr.languages_unlisted': 'Could not list the installed tesseract languages ({reason}).',
    'err.ocr.languages_unlisted.fix': 'Reinstall tesseract: {command}',
    'err.ocr.no_language': 'No OCR language was given.',
    'err.ocr.no_language.fix': 'Use e.g. --langs {default} (installed: {installed}).',
    'err.ocr.language_missing': 'OCR language(s) {missing} not installed. Installed: {installed}.',
    'err.ocr.language_missing.fix': 'Pick from the installed ones, or install with: sudo apt-get install -y {packages}',
    'err.ocr.language_missing_none': 'OCR language(s) {missing} not installed. Installed: none.',
    'err.ocr.language_missing_none.fix': 'Pick from the installed ones, or install with: sudo apt-get install -y {packages}',
    'err.ocr.timeout': 'OCR took longer than {seconds} s and was stopped.',
    'err.ocr.timeout.fix': 'Crop the image to the text region, or raise the per-image timeout.',
    'err.ocr.failed': 'tesseract failed ({reason}).',
    'err.ocr.failed.fix': 'Re-export the image as PNG and retry.',
    'err.ocr.tesseract_error': 'tesseract failed ({reason}).',
    'err.ocr.tesseract_error.fix': 'Re-export the image as PNG and retry; if it persists, report the image.',
    'err.ocr.bad_binarize': 'Unknown binarize setting {value!r}.',
    'err.ocr.bad_binarize.fix': "Use 'off', 'otsu' or 'auto'.",
    'err.ocr.bad_psm': 'Page segmentation mode {psm} does not exist.',
    'err.ocr.bad_psm.fix': 'Use a tesseract --psm between 0 and 13; 6 (a block of text) suits labels.',
    'err.ocr.font_missing': "Font '{font}' not found.",
    'err.ocr.font_missing.fix': 'Install it: sudo apt-get install -y fonts-wqy-microhei',
    'err.ocr.confidence_not_number': 'the OCR confidence threshold must be a number from 0 to 100 (got {value}).',
    'err.ocr.confidence_not_number.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.confidence_range': 'the OCR confidence threshold must be from 0 to 100 (got {value}).',
    'err.ocr.confidence_range.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.word_confidence_not_number': 'The word confidence threshold must be a number from 0 to 100 (got {value}).',
    'err.ocr.word_confidence_not_number.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.word_confidence_range': 'The word confidence threshold must be from 0 to 100 (got {value}).',
    'err.ocr.word_confidence_range.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.env_confidence_not_number': 'The environment variable {env} must be a number from 0 to 100 (got {value}).',
    'err.ocr.env_confidence_not_number.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.env_confidence_range': 'The environment variable {env} must be from 0 to 100 (got {value}).',
    'err.ocr.env_confidence_range.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.confidence_of_not_number': '{source} must be a number from 0 to 100 (got {value}).',
    'err.ocr.confidence_of_not_number.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',
    'err.ocr.confidence_of_range': '{source} must be from 0 to 100 (got {value}).',
    'err.ocr.confidence_of_range.fix': 'Use e.g. {example}; 0 keeps every word tesseract reads.',

    # store/: the database, sessions, sets, runs, labels
    'err.session.not_found': "There is no session '{session}'.",
    'err.session.not_found.fix': 'Use an existing session name or id (known: {known}); `workbench sessions` lists them all.',
    'err.session.not_found_none': "There is no session '{session}'.",
    'err.session.not_found_none.fix': 'Use an existing session name or id (known: none yet); `workbench sessions` lists them all.',
    'err.session.exists': "A session named '{name}' already exists.",
    'err.session.exists.fix': 'Pick another name, or open the existing session instead.',
    'err.session.rename_exists': "Cannot rename '{name}': a session named '{new}' already exists.",
    'err.session.rename_exists.fix': 'Pick another name, or delete the other session first.',
    'err.session.empty_name': 'The session name is empty.',
    'err.session.empty_name.fix': "Give the session a name, e.g. 'denim query v2'.",
    'err.store.no_set': 'There is no candidate set with id {set}.',
    'err.store.no_set.fix': "Pick a set from the session's list (`workbench sessions` shows what is stored), or import the file again.",
    'err.store.no_run': 'There is no run with id {run}.',
    'err.store.no_run.fix': "Pick a run from the session's run list (it may have been deleted).",
    'err.store.no_document': "Set {set} has no document '{doc}'.",
    'err.store.no_document.fix': "Use a doc_id from the set (they are listed on the set's page).",
    'err.labels.unknown_documents': 'Set {set} has no document(s) {docs} to label.',
    'err.labels.unknown_documents.fix': 'Label documents that belong to the set (check the doc_id).',
    'err.labels.note_unknown_document': "Set {set} has no document '{doc}' to note.",
    'err.labels.note_unknown_document.fix': 'Add notes to documents of the set (check the doc_id).',
    'err.store.duplicate_doc': "Document id '{doc}' appears twice in the set for query '{query}'.",
    'err.store.duplicate_doc.fix': 'Give every document of a query its own doc_id.',
    'err.store.set_not_saved': "The set for query '{query}' could not be saved: {reason}.",
    'err.store.set_not_saved.fix': 'The session may have been deleted meanwhile, or a document refers to an image hash that is not stored (give its image path instead). Nothing of this set was saved.',
    'err.store.bad_run_status': "Run status '{status}' is unknown.",
    'err.store.bad_run_status.fix': 'Use one of: {statuses}.',
    'err.store.score_not_finite': "The score of document '{doc}' is {value}, not a finite number.",
    'err.store.score_not_finite.fix': 'Scores must be real numbers; re-run the scoring or fix the imported file.',
    'err.store.cached_score_not_finite': 'The cached score for document hash {hash} is {value}, not a finite number.',
    'err.store.cached_score_not_finite.fix': 'Scores must be real numbers; re-run the scoring or fix the imported file.',
    'err.store.image_unreadable': "'{path}' is not a readable image ({reason}).",
    'err.store.image_unreadable.fix': 'Re-export the image as JPEG or PNG, or remove it from the set.',
    'err.store.image_file_unreadable': "Image file '{path}' cannot be read ({reason}).",
    'err.store.image_file_unreadable.fix': 'Check that the file exists; image paths are relative to the imported file.',
    'err.store.db_is_folder': "The database path '{path}' is a folder, not a file.",
    'err.store.db_is_folder.fix': 'Set WORKBENCH_DB to a file path such as data/workbench.db.',
    'err.store.db_not_file': "The database path '{path}' is not a regular file.",
    'err.store.db_not_file.fix': 'Set WORKBENCH_DB to a file path such as data/workbench.db.',
    'err.store.readonly_needs_upgrade': "The database '{path}' is read-only here and was written by an older workbench (it needs the schema upgrade(s) {upgrades}, which would write to it).",
    'err.store.readonly_needs_upgrade.fix': 'Make the file and its folder writable once so the workbench can upgrade it, or copy it to a writable folder and point WORKBENCH_DB at the copy.',
    'err.store.newer_db': "The database '{path}' was written by a newer workbench (unknown schema migrations: {migrations}).",
    'err.store.newer_db.fix': 'Update the workbench (git pull, then ./run_workbench.sh), or set WORKBENCH_DB to use a different database file.',
    'err.store.db_unreadable': "The database file '{path}' cannot be read ({reason}).",
    'err.store.db_unreadable.fix': "Check the file's permissions, or set WORKBENCH_DB to a different database file.",
    'err.store.db_cannot_open': "The database file '{path}' cannot be read ({reason}); it was left untouched.",
    'err.store.db_cannot_open.fix': 'If it is a workbench database, check its permissions and that no other program holds it; otherwise set WORKBENCH_DB to a different database file.',
    'err.store.db_damaged': "The database file '{path}' is damaged ({reason}); it was left untouched.",
    'err.store.db_damaged.fix': 'Move the file aside (the workbench then creates a fresh one), or set WORKBENCH_DB to a different database file.',
    'err.store.not_sqlite': "'{path}' is not a SQLite database at all, not a workbench database; it was left untouched (nothing was written to it).",
    'err.store.not_sqlite.fix': 'Point WORKBENCH_DB at a workbench database, or at a new file such as {new_file} (created on first use), e.g. export WORKBENCH_DB={new_path}',
    'err.store.foreign_db': "'{path}' is another application's SQLite database (tables: {tables}), not a workbench database; it was left untouched (nothing was written to it).",
    'err.store.foreign_db.fix': 'Point WORKBENCH_DB at a workbench database, or at a new file such as {new_file} (created on first use), e.g. export WORKBENCH_DB={new_path}',
    'err.store.no_folder': "Cannot create the folder for the database '{path}' ({reason}).",
    'err.store.no_folder.fix': 'Point WORKBENCH_DB to a file in a writable folder.',
    'err.store.disk_full': "The disk is full: could not write to the database '{path}' ({detail}); the disk holding '{folder}' has {free} free. The write was rolled back: nothing of it was saved.",
    'err.store.disk_full.fix': 'Free some space on that disk (or move WORKBENCH_DB and WORKBENCH_HOME to a disk with room), then run the same step again.',
    'err.store.disk_full_need': "The disk is full: could not write to the database '{path}' ({detail}); the disk holding '{folder}' has {free} free; this write needs roughly {need} free. The write was rolled back: nothing of it was saved.",
    'err.store.disk_full_need.fix': 'Free some space on that disk (or move WORKBENCH_DB and WORKBENCH_HOME to a disk with room), then run the same step again.',
    'err.store.disk_full_nofree': "The disk is full: could not write to the database '{path}' ({detail}); the disk holding '{folder}'. The write was rolled back: nothing of it was saved.",
    'err.store.disk_full_nofree.fix': 'Free some space on that disk (or move WORKBENCH_DB and WORKBENCH_HOME to a disk with room), then run the same step again.',
    'err.store.disk_full_nofree_need': "The disk is full: could not write to the database '{path}' ({detail}); the disk holding '{folder}'; this write needs roughly {need} free. The write was rolled back: nothing of it was saved.",
    'err.store.disk_full_nofree_need.fix': 'Free some space on that disk (or move WORKBENCH_DB and WORKBENCH_HOME to a disk with room), then run the same step again.',
    'err.store.too_big': "A value is too big for the database '{path}' ({reason}): SQLite stores at most 1 GB per image or text. Nothing of this write was saved.",
    'err.store.too_big.fix': 'Leave out or shrink the oversized image/text (imports reject such rows on their own: see WORKBENCH_MAX_IMAGE_MB), then retry.',
    'err.store.readonly': "The database file '{path}' is read-only here ({reason}): it can be read but not changed.",
    'err.store.readonly.fix': 'Read commands work as they are. To change it, make the file and its folder writable, or copy it to a writable folder and point WORKBENCH_DB at the copy.',
    'err.store.locked': "The database file '{path}' is locked by another program ({reason}).",
    'err.store.locked.fix': 'Close other workbench windows or scripts using this file and retry, or set WORKBENCH_DB to use a different database file.',
    'err.store.corrupt': "The database file '{path}' is damaged or is not a workbench database ({reason}).",
    'err.store.corrupt.fix': 'Move the file aside (the workbench creates a fresh one), or set WORKBENCH_DB to point to a different database file.',
    'err.store.cannot_write': "The database file '{path}' cannot be opened for writing ({reason}).",
    'err.store.cannot_write.fix': "Check the file's permissions and free disk space, or set WORKBENCH_DB to a writable location.",
    'err.store.error': "Database error on '{path}': {reason}",
    'err.store.error.fix': 'Retry; if it persists, move the file aside or set WORKBENCH_DB to a different database file.',

    # service.py: resuming runs, exports, notes, OCR of a session, labels and runs imported into a session
    'err.resume.imported': 'Run {run} was imported from another system; it cannot be resumed.',
    'err.resume.imported.fix': 'Rerank the set instead (a new run).',
    'err.resume.still_running': 'Run {run} is still being scored by process {pid} on {host}.',
    'err.resume.still_running.fix': 'Wait for it to finish, or stop that process first (its run is then kept as cancelled and can be resumed).',
    'err.resume.other_model': "Run {run} was scored with {backend} model '{model}', not '{new_model}'.",
    'err.resume.other_model.fix': "Resume it with the model '{model}' (--model FOLDER of that model, or WORKBENCH_MODEL; in the app, pick that model), or rerank the set as a new run with this one.",
    'err.resume.other_settings': 'Run {run} was scored with other settings ({settings}: {changes}).',
    'err.resume.other_settings.fix': "Resume with the run's settings (the same --max-length / --min-pixels / --max-pixels / --dtype), or rerank the set as a new run.",
    'err.paste.empty': 'No documents were given: the pasted text is empty.',
    'err.paste.empty.fix': 'Paste one document per line, or pick a stored candidate set.',
    'err.export.bad_format': "Unknown export format '{format}'.",
    'err.export.bad_format.fix': "Use 'long' or 'wide'.",
    'err.export.bad_tidy_format': "Unknown tidy export format '{format}'.",
    'err.export.bad_tidy_format.fix': "Use 'csv' or 'parquet'.",
    'err.export.nothing_named': 'Nothing to export was named.',
    'err.export.nothing_named.fix': 'Pick a session or one or more runs.',
    'err.export.no_runs': "Session '{session}' has no runs to export.",
    'err.export.no_runs.fix': 'Rerank one of its sets first (Rerank page, or `workbench rerank --session {quoted} --model ...`), or import runs.',
    'err.export.bad_tag': "The run tag '{tag}' is empty or contains whitespace.",
    'err.export.bad_tag.fix': 'Give a tag without spaces, e.g. lychee_web.',
    'err.export.tag_clash': "One tag '{tag}' cannot name {count} runs: query '{query}' has several of them.",
    'err.export.tag_clash.fix': 'Leave the tag out (each run is tagged by its name), or export one run at a time.',
    'err.export.no_labels': "Session '{session}' has no labels to export.",
    'err.export.no_labels.fix': 'Label documents 0/1/2 first (Rerank or Sessions page), or import qrels.',
    'err.note.run_too_long': 'The note is {length} characters long.',
    'err.note.run_too_long.fix': 'Keep a run note under 10,000 characters; put longer text in a file.',
    'err.note.too_long': 'The note is {length} characters long.',
    'err.note.too_long.fix': 'Keep a note under 10,000 characters.',
    'err.runs.still_pending': "Run {run} ('{label}') is still pending.",
    'err.runs.still_pending.fix': 'Cancel it first (or wait for it to finish), then delete it.',
    'err.runs.still_running': "Run {run} ('{label}') is still running.",
    'err.runs.still_running.fix': 'Cancel it first (or wait for it to finish), then delete it.',
    'err.runs.unknown_queries': "Session '{session}' has no candidate set for query id(s) {queries}.",
    'err.runs.unknown_queries.fix': 'Import the candidate sets of those queries first, or fix the query_id column to one of: {valid}.',
    'err.runs.unknown_documents': "Query '{query}' of session '{session}' has no document(s) {docs}.",
    'err.runs.unknown_documents.fix': 'Check the doc_id column: a ranking must use the ids of the imported candidate set.',
    'err.runs.none_picked': 'No runs were picked to compare.',
    'err.runs.none_picked.fix': 'Pick runs of at least two instructions or backends (rerank a set first).',
    'err.runs.bad_k': 'k must be at least 1 (got {k}).',
    'err.runs.bad_k.fix': 'Use e.g. --k 10.',
    'err.runs.not_in_session': "Run(s) {runs} are not runs of session '{session}'.",
    'err.runs.not_in_session.fix': 'Pick runs of this session.',
    'err.runs.none_finished': "Session '{session}' has no finished runs to put side by side.",
    'err.runs.none_finished.fix': 'Rerank one of its sets first, or import runs from another system.',
    'err.runs.no_runs_for_query': "Session '{session}' has no runs for query '{query}'.",
    'err.runs.no_runs_for_query.fix': 'Pick one of: {valid}.',
    'err.ocr.session_no_sets': "Session '{session}' has no candidate sets to OCR.",
    'err.ocr.session_no_sets.fix': 'Import one first (Import page, or: workbench import FILE --session {quoted})',
    'err.ocr.sets_not_in_session': "Set(s) {sets} are not in session '{session}'.",
    'err.ocr.sets_not_in_session.fix': 'Pick from its sets: {valid}.',
    'err.ocr.set_unknown_documents': 'Set {set} has no document(s) {docs}.',
    'err.ocr.set_unknown_documents.fix': 'Use its doc ids, e.g. {valid}.',
    'err.ocr.session_unknown_documents': "Session '{session}' has no document(s) {docs}.",
    'err.ocr.session_unknown_documents.fix': 'Check the doc ids (they are listed on the OCR page and in exports).',
    'err.labels.qrels_unknown_queries': "Session '{session}' has no candidate set for query id(s) {queries} ({count} of {total} queries in the labels).",
    'err.labels.qrels_unknown_queries.fix': "Import those queries' candidate sets first, skip them (--skip-unknown, or the 'skip judgments outside the sets' option), or remove their lines from the qrels / fix the query ids to ones of this session: {valid}.",
    'err.labels.qrels_unknown_queries_no_sets': "Session '{session}' has no candidate set for query id(s) {queries} ({count} of {total} queries in the labels).",
    'err.labels.qrels_unknown_queries_no_sets.fix': "Import those queries' candidate sets first, skip them (--skip-unknown, or the 'skip judgments outside the sets' option), or remove their lines from the qrels / fix the query ids to ones of this session: (none: import a set first).",
    'err.labels.qrels_unknown_documents': "Query '{query}' of session '{session}' has no document(s) {docs}; no label was applied.",
    'err.labels.qrels_unknown_documents.fix': "Use the doc ids of the imported candidate set (query '{query}': {valid}), remove judgments of documents that are not in the set, or skip them (--skip-unknown, or the 'skip judgments outside the sets' option).",
    'err.labels.qrels_unknown_documents_many': "Query '{query}' of session '{session}' has no document(s) {docs} ({count} unknown documents across {queries} queries); no label was applied.",
    'err.labels.qrels_unknown_documents_many.fix': "Use the doc ids of the imported candidate set (query '{query}': {valid}), remove judgments of documents that are not in the set, or skip them (--skip-unknown, or the 'skip judgments outside the sets' option).",

    # model.py: labels
    'err.labels.bad_grade': "Label {grade} for document '{doc}' is not a relevance grade.",
    'err.labels.bad_grade.fix': 'Use 0 (not relevant), 1 (partly relevant) or 2 (relevant).',

    # ocr/batch.py: cancelled OCR
    'err.ocr.cancelled': 'OCR cancelled after {done} of {total} images; the finished ones are kept.',
    'err.ocr.cancelled.fix': 'Run OCR again to do the rest: finished images come from the cache.',

    # i18n/nested.py: a rejected row quoted inside another error (like str(RowError))
    'err.row.line': 'line {line}',
    'err.row.column': "column '{column}'",
    'err.row.where': '{where}: {message}',
    'err.row.where_fix': '{where}: {message}\nHow to fix: {fix}',
    'err.row.only': '{message}',
    'err.row.fix': '{message}\nHow to fix: {fix}',
})


# ======================================================================= err_engine
# errors of workbench/rerank, compare, parity, jobs, hub, config, doctor (err.<code>)
MESSAGES.update({
})
