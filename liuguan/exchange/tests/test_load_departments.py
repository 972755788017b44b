import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from liuguan.core.audit import SYSTEM
from liuguan.core.errors import InvalidInput
from liuguan.core.models import AuditEvent
from liuguan.exchange.loading import DEPARTMENTS_FILE, KINDS, departments_load
from liuguan.exchange.models import Department


@pytest.fixture(autouse=True)
def _commands_in_english():
    # Command output follows the site language (zh-hans); these tests read the English source strings.
    with translation.override("en"):
        yield


def write_departments(path, entries):
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def test_shipped_list_has_35_departments_with_stable_codes_and_chinese_names():
    entries = json.loads(DEPARTMENTS_FILE.read_text(encoding="utf-8"))

    assert len(entries) == 35
    assert len({entry["code"] for entry in entries}) == 35
    assert {entry["kind"] for entry in entries} <= KINDS
    for entry in entries:
        assert entry["code"].isascii() and entry["name_en"].isascii(), entry
        assert not entry["name"].isascii(), entry
    by_code = {entry["code"]: entry["name"] for entry in entries}
    assert by_code["public_security"] == "市公安局"
    assert by_code["human_resources_social_security"] == "市人力资源和社会保障局"
    assert by_code["migrant_service_office"] == "市流动人口服务管理办公室"


@pytest.mark.django_db
def test_departments_load_35_and_a_second_run_changes_nothing():
    events = AuditEvent.objects.count()

    first = departments_load(actor=SYSTEM)
    second = departments_load(actor=SYSTEM)

    assert (first.created, first.updated, first.unchanged) == (35, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 35)
    assert Department.objects.count() == 35
    assert Department.objects.get(code="health").name_en == "Municipal Health Commission"
    assert AuditEvent.objects.count() == events + 2
    assert list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2]) == ["departments.load"] * 2


@pytest.mark.django_db
def test_changed_name_is_updated_and_a_department_gone_from_the_file_is_kept():
    Department.objects.create(code="public_security", name="公安局", name_en="Public Security Bureau")
    Department.objects.create(code="family_planning_commission", name="市人口和计划生育委员会")

    result = departments_load(actor=SYSTEM)

    assert (result.created, result.updated, result.unchanged, result.missing_from_source) == (34, 1, 0, 1)
    assert Department.objects.get(code="public_security").name == "市公安局"
    assert Department.objects.filter(code="family_planning_commission").exists()
    event = AuditEvent.objects.latest("id")
    assert event.changes["updated_codes"] == {
        "public_security": {
            "name": ["公安局", "市公安局"],
            "name_en": ["Public Security Bureau", "Municipal Public Security Bureau"],
        }
    }


@pytest.mark.django_db
def test_bad_file_is_refused_naming_the_department_and_nothing_is_written(tmp_path):
    path = write_departments(
        tmp_path / "departments.json",
        [
            {
                "code": "health",
                "name": "市卫生健康委员会",
                "name_en": "Municipal Health Commission",
                "kind": "government",
            },
            {"code": "Police Dept", "name": "市公安局", "name_en": "", "kind": "government"},
            {"code": "health", "name": "市卫生局", "name_en": "", "kind": "government"},
            {"code": "post", "name": "市邮政管理局", "name_en": "", "kind": "ministry"},
        ],
    )
    events = AuditEvent.objects.count()

    with pytest.raises(InvalidInput) as refused:
        departments_load(actor=SYSTEM, path=path)

    assert [(problem.field, problem.rule) for problem in refused.value.problems] == [
        ("department Police Dept", "code"),
        ("department health", "duplicate"),
        ("department post", "kind"),
    ]
    assert not Department.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_command_reports_the_counts():
    out = io.StringIO()
    call_command("load_departments", stdout=out)
    call_command("load_departments", stdout=out)

    assert out.getvalue().splitlines() == [
        "created 35, updated 0, unchanged 0, missing from source 0",
        "created 0, updated 0, unchanged 35, missing from source 0",
    ]
