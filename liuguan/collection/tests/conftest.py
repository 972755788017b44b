"""Import files made in the test: the template's columns, valid rows, and whatever a test breaks in them."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from liuguan.accounts.roles import Role
from liuguan.collection import services
from liuguan.collection.importing.template import template_headers
from liuguan.conftest import IN_COMMUNITY, citizen_id

HEADERS = template_headers()


def good_row(index: int = 0, **over) -> list:
    """A valid registration in the template's column order; `over` replaces cells by field name."""
    number = citizen_id("511321", f"1990{(index % 12) + 1:02d}{(index % 28) + 1:02d}", f"{index % 1000:03d}")
    values = {
        "doc_type": "居民身份证",
        "doc_number": number,
        "name": f"测试{'甲乙丙丁戊己庚辛壬癸'[index % 10]}{'子丑寅卯辰巳午未申酉戌亥'[index // 10 % 12]}",
        "sex": "男" if int(number[16]) % 2 else "女",
        "birth_date": "",
        "ethnicity": "汉族",
        "nationality": "中国",
        "hukou_address": "四川省南充市",
        "phone": "13912345678",
        "education": "高中",
        "marital_status": "已婚",
        "community_code": IN_COMMUNITY,
        "address": "东御河沿街8号",
        "arrived_on": "2025-03-01",
        "reason": "务工",
    }
    values.update(over)
    from liuguan.collection.importing.headers import COLUMNS

    return [values[c.field] for c in COLUMNS]


def write_csv(path: Path, rows, *, headers=None, encoding="utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS if headers is None else headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows, *, headers=None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS if headers is None else headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def run_import(user, path: Path, *, mode="valid", chunk_size=5000):
    """Upload as the user and run the batch in the foreground, as the job runner would."""
    with open(path, "rb") as handle:
        upload = services.import_batch_create(actor=user, file=handle, file_name=Path(path).name, mode=mode)
    return services.stays_import(actor=user, batch_id=upload.batch.pk, chunk_size=chunk_size)


@pytest.fixture(autouse=True)
def _imports_under_tmp(settings, tmp_path):
    # Uploads and result workbooks of each test stay in its own directory.
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def collector(users):
    return users[Role.COLLECTOR]


@pytest.fixture
def street(users):
    return users[Role.STREET_OFFICER]
