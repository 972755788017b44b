import datetime as dt

import pyarrow as pa
import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY
from liuguan.core.errors import Conflict, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.linkage.models import LinkageRun, LinkageTask
from liuguan.linkage.services.tasks import findings, task_close, tasks_from_run
from liuguan.linkage.sources import RecordPlace


def _std(*rows):
    columns = ["record_id", "source", "doc_type_std", "doc_std", "doc_valid", "doc_conflict", "name_std"]
    return pa.table({c: [r.get(c) for r in rows] for c in columns})


def _row(record_id, source="registry.person", doc="", valid=False, conflict=False, name="张三"):
    return {
        "record_id": record_id,
        "source": source,
        "doc_type_std": "citizen_id",
        "doc_std": doc,
        "doc_valid": valid,
        "doc_conflict": conflict,
        "name_std": name,
    }


def _clusters(mapping):
    return pa.table({"record_id": list(mapping), "cluster_id": list(mapping.values())})


REGISTERED = RecordPlace(community=IN_COMMUNITY, person_id=1, registered=True)
LANDLORD_ONLY = RecordPlace(community=IN_COMMUNITY, person_id=2, registered=False)


def test_a_landlord_record_linked_to_a_registered_person_is_no_omission():
    std = _std(_row("registry.person:1"), _row("registry.person:2", source="compliance.dutyreport"))
    places = {"registry.person:1": REGISTERED, "registry.person:2": LANDLORD_ONLY}
    linked = findings(std, _clusters({"registry.person:1": "c", "registry.person:2": "c"}), places)
    apart = findings(std, _clusters({"registry.person:1": "a", "registry.person:2": "b"}), places)
    assert linked == []
    assert [(f["kind"], f["record"]) for f in apart] == [("omission", "registry.person:2")]


def test_two_valid_numbers_in_one_cluster_and_a_contradicting_number_are_wrong_records():
    std = _std(
        _row("registry.person:1", doc="11010519491231002X", valid=True),
        _row("registry.person:2", doc="11010519491231012X", valid=True),
        _row("registry.person:3", doc="510104198001010011", valid=True, conflict=True, name="赵六"),
    )
    places = {
        "registry.person:1": REGISTERED,
        "registry.person:2": RecordPlace(community=IN_COMMUNITY, person_id=2, registered=True),
        "registry.person:3": RecordPlace(community=IN_COMMUNITY, person_id=3, registered=True),
    }
    clusters = _clusters({"registry.person:1": "c", "registry.person:2": "c", "registry.person:3": "d"})
    found = sorted((f["kind"], f["record"]) for f in findings(std, clusters, places))
    assert found == [("wrong_record", "cluster:c"), ("wrong_record", "registry.person:3")]


def test_tasks_go_to_the_station_officer_once(users, person_in):
    run = LinkageRun.objects.create()
    record = f"registry.person:{person_in.pk}"
    std = _std(_row(record, source="compliance.dutyreport"))
    clusters = _clusters({record: record})
    places = {record: RecordPlace(community=IN_COMMUNITY, person_id=person_in.pk, registered=False)}
    assert tasks_from_run(run=run, std=std, clusters=clusters, places=places) == 1
    task = LinkageTask.objects.get()
    assert (task.kind, task.assignee, task.community_id) == ("omission", users[Role.STATION_OFFICER], IN_COMMUNITY)
    assert task.due_on > dt.date(2026, 1, 1)
    assert tasks_from_run(run=run, std=std, clusters=clusters, places=places) == 0


@pytest.fixture
def tasks(users):
    made = {}
    for code, community in (("in", IN_COMMUNITY), ("out", OUT_COMMUNITY)):
        made[code] = LinkageTask.objects.create(
            number=f"LK-{code}",
            kind="omission",
            community_id=community,
            record=code,
            summary="s",
            due_on=dt.date(2026, 12, 1),
        )
    return made


def test_closing_a_task_is_scoped_and_audited(users, tasks):
    officer = users[Role.STATION_OFFICER]
    with pytest.raises(NotFound):
        task_close(actor=officer, task_id=tasks["out"].pk)
    with pytest.raises(PermissionDenied):
        task_close(actor=users[Role.COLLECTOR], task_id=tasks["in"].pk)
    done = task_close(actor=officer, task_id=tasks["in"].pk, note="registered today")
    assert (done.status, done.resolved_by) == ("done", officer)
    assert AuditEvent.objects.filter(action="linkage.task_closed").count() == 1
    with pytest.raises(Conflict):
        task_close(actor=officer, task_id=tasks["in"].pk)
    tasks["out"].refresh_from_db()
    assert tasks["out"].status == "open"
