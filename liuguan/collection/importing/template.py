"""The downloadable template: the data sheet with Chinese headers (required ones starred), text-formatted number
columns so Excel cannot mangle ID numbers, drop-down lists for coded columns, and a sheet of instructions.
"""

import csv
import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .headers import COLUMNS

DATA_ROWS = 5000
CHOICES = {
    "doc_type": "居民身份证,港澳台居民居住证,外国人永久居留身份证,护照",
    "sex": "男,女",
    "education": "研究生,大学本科,大学专科,中专,高中,初中,小学,文盲或半文盲",
    "marital_status": "未婚,已婚,丧偶,离婚,未说明",
    "reason": "务工,经商,就学,投靠亲属,婚嫁,就医,其他",
}
TEXT_COLUMNS = {"doc_number", "phone", "community_code"}
DATE_COLUMNS = {"birth_date", "arrived_on"}


def template_headers() -> list[str]:
    return [f"*{c.header}" if c.required else c.header for c in COLUMNS]


def template_csv() -> bytes:
    """UTF-8 with a BOM, which Excel needs to open Chinese text correctly."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(template_headers())
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居住登记"
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for index, (column, header) in enumerate(zip(COLUMNS, template_headers(), strict=True), start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = required_fill
        if column.help:
            cell.comment = Comment(column.help, "Liuguan", width=260, height=80)
        sheet.column_dimensions[letter].width = max(12, len(column.example) + 4)
        if column.field in TEXT_COLUMNS or column.field in DATE_COLUMNS:
            # Pre-formatted cells: Excel keeps what is typed into a text cell exactly.
            number_format = "@" if column.field in TEXT_COLUMNS else "yyyy-mm-dd"
            for row in range(2, DATA_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = number_format
        if column.field in CHOICES:
            validation = DataValidation(type="list", formula1=f'"{CHOICES[column.field]}"', allow_blank=True)
            validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "必填", "示例", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column, header in zip(COLUMNS, template_headers(), strict=True):
        notes.append([header, "是" if column.required else "", column.example, column.help])
    notes.append([])
    notes.append(
        ["证件号码、联系电话、社区代码列已设为文本格式；从别处粘贴时请用“选择性粘贴-数值”，不要改成数字格式。"]
    )
    notes.append(["同一文件重复上传不会重复登记；已在本社区登记且未注销的人员计为“已登记”。"])
    for letter, width in zip("ABCD", (16, 6, 22, 60), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
