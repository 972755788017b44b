"""The template's columns, the header variants offices actually type, and finding them in a file's first rows."""

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    variants: tuple[str, ...] = ()
    example: str = ""
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "doc_type",
        "证件类型",
        False,
        ("证件种类", "证件名称"),
        "居民身份证",
        "居民身份证/港澳台居民居住证/外国人永久居留身份证/护照",
    ),
    Column(
        "doc_number",
        "证件号码",
        True,
        ("身份证号", "身份证号码", "公民身份号码", "证件号", "身份证", "公民身份证号码", "身份证件号码", "证件编号"),
        "11010519491231002X",
        "请把本列设为文本格式，否则Excel会把18位号码的后几位变成0",
    ),
    Column("name", "姓名", True, ("名字", "人员姓名"), "王芳"),
    Column("sex", "性别", False, (), "女", "男/女；居民身份证可不填，从号码读出"),
    Column("birth_date", "出生日期", False, ("出生年月日", "生日"), "1949-12-31", "居民身份证可不填"),
    Column("ethnicity", "民族", False, ("民族代码",), "汉族", "汉族或代码01"),
    Column("nationality", "国籍", False, ("国籍地区", "国家地区"), "中国", "中国或三字母代码CHN"),
    Column("hukou_address", "户籍地址", False, ("户籍地", "户籍地详址", "户籍所在地", "户口所在地"), "北京市朝阳区"),
    Column("phone", "联系电话", False, ("手机", "手机号", "手机号码", "电话", "电话号码", "联系方式"), "13912345678"),
    Column("education", "文化程度", False, ("学历",), "大学本科"),
    Column("marital_status", "婚姻状况", False, ("婚姻状态", "婚姻"), "已婚"),
    Column(
        "community_code",
        "居住社区代码",
        True,
        ("社区代码", "社区编码", "居住地社区", "居住社区", "居住地社区代码", "居住社区编码", "社区"),
        "510104001001",
        "12位统计用区划代码，须在您的辖区内；也可填社区名称",
    ),
    Column(
        "address", "居住地址", False, ("现居住地址", "居住地详址", "现住址", "居住详址", "暂住地址"), "东御河沿街8号"
    ),
    Column(
        "arrived_on",
        "到达日期",
        True,
        ("来蓉日期", "到达时间", "来本地日期", "来本地时间", "来蓉时间", "到达本地日期", "来到本地日期"),
        "2025-03-01",
        "2025-03-01、2025/3/1、20250301、2025年3月1日均可",
    ),
    Column(
        "reason",
        "居住事由",
        True,
        ("暂住事由", "来本地事由", "居住原因", "事由"),
        "务工",
        "务工/经商/就学/投靠亲属/婚嫁/就医/其他",
    ),
)
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED = tuple(c.field for c in COLUMNS if c.required)

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕")
_NOISE = re.compile(r"[\s*:：]+")


def header_key(text) -> str:
    """A header as compared: full-width forms folded (NFKC), spaces, asterisks, colons and bracketed notes gone."""
    folded = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").lower()
    return _NOISE.sub("", _BRACKETED.sub("", folded))


def _lookup() -> dict[str, str]:
    table = {}
    for column in COLUMNS:
        for name in (column.header, column.field, *column.variants):
            table[header_key(name)] = column.field
    return table


LOOKUP = _lookup()


@dataclass
class HeaderMap:
    """Where each field sits in the file's rows, and what the file has that the template does not."""

    row_number: int
    headers: list[str]
    positions: dict[str, int]
    ignored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    doubled: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        """For each column of the file, the field it is read as ("" when ignored)."""
        by_position = {index: name for name, index in self.positions.items()}
        return [by_position.get(index, "") for index in range(len(self.headers))]


def _cell_text(value) -> str:
    return "" if value is None else str(value).strip()


def header_map(rows: list[tuple[int, list]]) -> HeaderMap | None:
    """Pick the header among the first rows (a title row above it is common) and map its columns to fields."""
    best = None
    for row_number, cells in rows:
        hits = sum(1 for cell in cells if LOOKUP.get(header_key(cell)))
        if hits >= 2 and (best is None or hits > best[0]):
            best = (hits, row_number, cells)
    if best is None:
        return None
    _hits, row_number, cells = best
    headers = [_cell_text(c) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    positions: dict[str, int] = {}
    ignored, doubled = [], []
    for index, text in enumerate(headers):
        name = LOOKUP.get(header_key(text))
        if name is None:
            if text:
                ignored.append(text)
        elif name in positions:
            doubled.append((headers[positions[name]], text, name))
        else:
            positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    return HeaderMap(row_number, headers, positions, ignored, missing, doubled)


def column_label(name: str) -> str:
    """The template's header for a field, as people know it."""
    column = BY_FIELD.get(name)
    return column.header if column else name
