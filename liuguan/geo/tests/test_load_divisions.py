import csv
import gzip
import importlib.util
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from liuguan.core.audit import SYSTEM
from liuguan.core.errors import InvalidInput
from liuguan.core.models import AuditEvent
from liuguan.geo.loading import (
    SICHUAN_EXTRACT,
    DivisionRow,
    divisions_load,
    read_extract,
    read_package_dir,
)
from liuguan.geo.models import Division, Level

# A corner of Sichuan and one of Chongqing, in the npm package's layout (one file per level).
PACKAGE = {
    "provinces.csv": ("code,name", ['51,"四川省"', '50,"重庆市"']),
    "cities.csv": ("code,name,provinceCode", ['5101,"成都市",51', '5107,"绵阳市",51', '5001,"市辖区",50']),
    "areas.csv": (
        "code,name,cityCode,provinceCode",
        ['510104,"锦江区",5101,51', '510703,"涪城区",5107,51', '500101,"万州区",5001,50'],
    ),
    "streets.csv": (
        "code,name,areaCode,provinceCode,cityCode",
        [
            '510104017,"锦官驿街道",510104,51,5101',
            '510104020,"东湖街道",510104,51,5101',
            '510703001,"城厢街道",510703,51,5107',
            '500101001,"高笋塘街道",500101,50,5001',
        ],
    ),
    "villages.csv": (
        "code,name,streetCode,provinceCode,cityCode,areaCode",
        [
            '510104017001,"水井坊社区居委会",510104017,51,5101,510104',
            '510104017002,"交子社区居委会",510104017,51,5101,510104',
            '510104020001,"东光社区居委会",510104020,51,5101,510104',
            '510703001001,"南山社区居委会",510703001,51,5107,510703',
            '500101001001,"太白社区居委会",500101001,50,5001,500101',
        ],
    ),
}


@pytest.fixture(autouse=True)
def _commands_in_english():
    # Command output follows the site language (zh-hans); these tests read the English source strings.
    with translation.override("en"):
        yield


def write_package(root: Path, package=PACKAGE) -> Path:
    """Write the CSV files under root/dist, as npm unpacks them; return root."""
    dist = root / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    for filename, (header, lines) in package.items():
        (dist / filename).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return root


def with_line(filename: str, old: str, new: str | None) -> dict:
    """PACKAGE with one line of one file replaced (or removed when new is None)."""
    header, lines = PACKAGE[filename]
    changed = [line for line in (new if line == old else line for line in lines) if line is not None]
    assert changed != lines
    return {**PACKAGE, filename: (header, changed)}


@pytest.fixture
def package(tmp_path):
    return write_package(tmp_path / "package")


def counts_in_gz(path: Path) -> tuple[Counter, Counter]:
    """Rows per level in the whole file and inside Chengdu, read without the loader's code."""
    everywhere, chengdu = Counter(), Counter()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            everywhere[row["level"]] += 1
            if row["code"].startswith("5101"):
                chengdu[row["level"]] += 1
    return everywhere, chengdu


@pytest.mark.django_db
def test_shipped_extract_loads_all_of_sichuan_once():
    # given: the expected counts, also computed straight from the gz file
    expected = {"province": 1, "prefecture": 21, "county": 183, "township": 3111, "community": 34412}
    in_file, chengdu_in_file = counts_in_gz(SICHUAN_EXTRACT)
    assert dict(in_file) == expected
    assert chengdu_in_file["township"] == 261 and chengdu_in_file["community"] == 3047
    events = AuditEvent.objects.count()

    # when
    first = io.StringIO()
    call_command("load_divisions", stdout=first)

    # then: every level and Chengdu as counted, in the database
    in_db = Counter(Division.objects.values_list("level", flat=True))
    assert dict(in_db) == expected
    chengdu = Division.objects.filter(code__startswith="5101")
    assert chengdu.filter(level=Level.TOWNSHIP).count() == 261
    assert chengdu.filter(level=Level.COMMUNITY).count() == 3047
    assert Division.objects.get(code="5101").name == "成都市"
    assert "created 37728, updated 0, unchanged 0" in first.getvalue()

    # then: each code is its own path; the parent is the code one level up
    lengths = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}
    for code, parent in Division.objects.values_list("code", "parent_id"):
        assert (parent or "") == code[: lengths[len(code)]], code
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.division_code, event.source) == ("divisions.load", "51", "cli")
    assert event.changes["created"] == 37728 and event.changes["levels"] == expected

    # when: loaded again
    second = io.StringIO()
    call_command("load_divisions", stdout=second)

    # then: nothing changes, and the run is still audited
    assert "created 0, updated 0, unchanged 37728" in second.getvalue()
    assert Division.objects.count() == 37728
    assert AuditEvent.objects.count() == events + 2
    assert AuditEvent.objects.latest("id").changes["updated"] == 0


def test_package_dir_reads_one_province_from_dist_or_its_parent(package):
    rows = read_package_dir(package, "51")
    assert read_package_dir(package / "dist", "51") == rows
    assert [row.code for row in rows] == sorted(row.code for row in rows)
    assert {row.code[:2] for row in rows} == {"51"}
    assert rows[0] == DivisionRow(code="51", name="四川省", level="province", parent="")
    assert DivisionRow(code="510104017001", name="水井坊社区居委会", level="community", parent="510104017") in rows
    assert Counter(row.level for row in read_package_dir(package, "50")) == dict.fromkeys(Level.values, 1)


def test_package_dir_without_the_files_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="provinces.csv"):
        read_package_dir(tmp_path, "51")


@pytest.mark.django_db
def test_changed_name_is_updated_and_audited(tmp_path, package):
    divisions_load(rows=read_package_dir(package, "51"), actor=SYSTEM)
    renamed = write_package(
        tmp_path / "renamed",
        with_line("streets.csv", '510104017,"锦官驿街道",510104,51,5101', '510104017,"锦官驿新街道",510104,51,5101'),
    )
    events = AuditEvent.objects.count()

    result = divisions_load(rows=read_package_dir(renamed, "51"), actor=SYSTEM)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 11)
    assert Division.objects.get(code="510104017").name == "锦官驿新街道"
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "divisions.load"
    assert event.changes["updated_codes"] == {"510104017": {"name": ["锦官驿街道", "锦官驿新街道"]}}


@pytest.mark.django_db
def test_command_loads_a_province_from_a_package(package):
    out = io.StringIO()
    call_command("load_divisions", "--province", "50", "--source", str(package / "dist"), stdout=out)

    assert sorted(Division.objects.values_list("code", flat=True)) == [
        "50",
        "5001",
        "500101",
        "500101001",
        "500101001001",
    ]
    # A placeholder prefecture keeps its official name: its county needs it as the parent.
    assert Division.objects.get(code="5001").name == "市辖区"
    assert "created 5, updated 0, unchanged 0" in out.getvalue()


@pytest.mark.django_db
def test_command_refuses_another_province_without_a_source():
    with pytest.raises(CommandError, match="--source"):
        call_command("load_divisions", "--province", "50")
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_bad_code_length_is_refused_and_nothing_is_written(tmp_path):
    bad = write_package(
        tmp_path / "bad",
        with_line(
            "villages.csv",
            '510104020001,"东光社区居委会",510104020,51,5101,510104',
            '51010402001,"东光社区居委会",510104020,51,5101,510104',
        ),
    )
    events = AuditEvent.objects.count()

    with pytest.raises(InvalidInput) as refused:
        divisions_load(rows=read_package_dir(bad, "51"), actor=SYSTEM)

    assert "51010402001" in str(refused.value)
    assert [problem.rule for problem in refused.value.problems] == ["code_length"]
    assert not Division.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_missing_parent_is_refused_and_the_whole_load_rolls_back(tmp_path, package):
    # given: a loaded tree, then a source with a rename and a community whose street exists nowhere
    divisions_load(rows=read_package_dir(package, "51"), actor=SYSTEM)
    source = with_line("streets.csv", '510104017,"锦官驿街道",510104,51,5101', '510104017,"改名街道",510104,51,5101')
    header, lines = source["villages.csv"]
    orphan = write_package(
        tmp_path / "orphan",
        {**source, "villages.csv": (header, [*lines, '510104099001,"孤儿社区居委会",510104099,51,5101,510104'])},
    )
    events = AuditEvent.objects.count()

    # when
    with pytest.raises(InvalidInput) as refused:
        divisions_load(rows=read_package_dir(orphan, "51"), actor=SYSTEM)

    # then: the error names the code and its parent; the rename did not go through either
    assert "510104099001" in str(refused.value) and "510104099" in str(refused.value)
    assert refused.value.problems[0].rule == "parent_missing"
    assert not Division.objects.filter(code="510104099001").exists()
    assert Division.objects.get(code="510104017").name == "锦官驿街道"
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_parent_already_in_the_database_is_enough(package):
    divisions_load(rows=read_package_dir(package, "51"), actor=SYSTEM)
    rows = [DivisionRow(code="510104017003", name="新社区居委会", level="community", parent="510104017")]

    result = divisions_load(rows=rows, actor=SYSTEM)

    assert result.created == 1
    assert Division.objects.get(code="510104017003").parent_id == "510104017"


@pytest.mark.django_db
def test_parent_that_is_not_the_code_prefix_is_refused():
    rows = [
        DivisionRow(code="51", name="四川省", level="province", parent=""),
        DivisionRow(code="5101", name="成都市", level="prefecture", parent="51"),
        DivisionRow(code="5107", name="绵阳市", level="prefecture", parent="51"),
        DivisionRow(code="510104", name="锦江区", level="county", parent="5107"),
    ]
    with pytest.raises(InvalidInput, match="510104") as refused:
        divisions_load(rows=rows, actor=SYSTEM)
    assert refused.value.problems[0].rule == "parent"
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_codes_gone_from_the_source_are_kept_and_counted(tmp_path, package):
    divisions_load(rows=read_package_dir(package, "51"), actor=SYSTEM)
    smaller = write_package(
        tmp_path / "smaller", with_line("villages.csv", '510104017002,"交子社区居委会",510104017,51,5101,510104', None)
    )

    result = divisions_load(rows=read_package_dir(smaller, "51"), actor=SYSTEM)

    assert (result.created, result.updated, result.missing_from_source) == (0, 0, 1)
    assert Division.objects.filter(code="510104017002").exists()


def test_extract_script_writes_what_the_loader_reads(tmp_path, package):
    script = Path(__file__).resolve().parents[1] / "data" / "build_extract.py"
    spec = importlib.util.spec_from_file_location("build_extract", script)
    build_extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_extract)
    out = tmp_path / "extract.csv.gz"

    assert build_extract.main(["--source", str(package), "--province", "51", "--out", str(out)]) == 0
    first = out.read_bytes()
    assert build_extract.main(["--source", str(package / "dist"), "--province", "51", "--out", str(out)]) == 0

    assert out.read_bytes() == first  # reproducible: no name or time in the gzip header
    assert read_extract(out) == read_package_dir(package, "51")
    assert gzip.decompress(first).decode("utf-8").splitlines()[:2] == ["code,name,level,parent", "51,四川省,province,"]


def test_extract_with_another_header_is_refused(tmp_path):
    path = tmp_path / "wrong.csv.gz"
    path.write_bytes(gzip.compress("code,name,parent\n51,四川省,\n".encode()))
    with pytest.raises(InvalidInput, match="code,name,level,parent"):
        read_extract(path)
