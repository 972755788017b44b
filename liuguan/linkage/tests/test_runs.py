import datetime as dt
import io

import pyarrow as pa
import pytest
from django.core.management import call_command

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, citizen_id, login
from liuguan.core.errors import Conflict, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.linkage import sources
from liuguan.linkage.models import CandidatePair, LinkageRun, LinkageTask
from liuguan.linkage.runs import run_execute, run_request
from liuguan.linkage.services.evaluation import evaluate_run
from liuguan.linkage.services.merge import pair_keep_apart

from .factories import activate_model, person


@pytest.fixture
def province(users, person_in):
    """张三 registered twice (the second time with a digit mistyped and the check digit kept), a tenant known only
    from a landlord's report, and someone whose recorded birth date contradicts the one inside their number."""
    n = person_in.doc_number
    twin = person(
        n[:14] + str((int(n[14]) + 3) % 10) + n[15:],
        "张叁",
        pinyin="zhangsan",
        channel="collector",
        departed=dt.date(2024, 9, 1),
    )
    tenant = person(
        citizen_id("622701", "19950611", "518"),
        "马小龙",
        pinyin="maxiaolong",
        channel="landlord",
        birth=dt.date(1995, 6, 11),
        phone="13600000000",
    )
    wrong = person(
        citizen_id("510104", "19800101", "332"),
        "赵六",
        pinyin="zhaoliu",
        birth=dt.date(1980, 10, 1),
        phone="13700000000",
    )
    activate_model()
    return {"person": person_in, "twin": twin, "tenant": tenant, "wrong": wrong}


def _run(actor):
    run = run_request(actor=actor, trigger=LinkageRun.Trigger.COMMAND)
    return run_execute(run.pk)


def test_sources_label_people_by_who_knows_them(province):
    collected = sources.collect()
    table = collected.table
    by_id = dict(zip(table.column("record_id").to_pylist(), table.column("source").to_pylist(), strict=True))
    assert by_id[f"registry.person:{province['tenant'].pk}"] == "compliance.dutyreport"
    assert by_id[f"registry.person:{province['person'].pk}"] == "registry.person"
    place = collected.places[f"registry.person:{province['tenant'].pk}"]
    assert (place.community, place.registered) == (IN_COMMUNITY, False)
    assert collected.counts == {"registry.person": 3, "compliance.dutyreport": 1}


def test_a_run_queues_the_duplicate_and_opens_tasks(users, province):
    run = _run(users[Role.COUNTY_OFFICER])
    assert run.status == "done" and run.records == 4 and run.queued >= 1
    pair = CandidatePair.objects.get(person_low=province["person"], person_high=province["twin"])
    assert pair.match_probability >= run.review_threshold and pair.status == "open"
    assert any(r["match_weight"] > 0 and r["level"] for r in pair.reasons)
    tasks = {(t.kind, t.person_id) for t in LinkageTask.objects.all()}
    assert ("omission", province["tenant"].pk) in tasks
    assert ("wrong_record", province["wrong"].pk) in tasks
    assert LinkageTask.objects.filter(assignee=users[Role.STATION_OFFICER]).count() == len(tasks)
    assert AuditEvent.objects.filter(action="linkage.run", object_id=str(run.pk)).exists()
    page = login(users[Role.COUNTY_OFFICER]).get("/linkage/").content.decode()
    assert f'data-testid="run-{run.pk}"' in page and "compliance.dutyreport 1" in page


def test_kept_apart_pairs_are_not_proposed_again_and_tasks_not_doubled(users, province):
    _run(users[Role.COUNTY_OFFICER])
    pair = CandidatePair.objects.get(person_low=province["person"], person_high=province["twin"])
    pair_keep_apart(actor=users[Role.STATION_OFFICER], pair_id=pair.pk, note="different people")
    tasks = LinkageTask.objects.count()
    second = _run(users[Role.COUNTY_OFFICER])
    pair.refresh_from_db()
    assert pair.status == "kept_apart" and CandidatePair.objects.count() == 1 and second.queued == 0
    assert LinkageTask.objects.count() == tasks and second.tasks == 0


def test_one_run_at_a_time_and_only_for_runners(users, province):
    run_request(actor=users[Role.COUNTY_OFFICER])
    with pytest.raises(Conflict):
        run_request(actor=users[Role.CITY_OFFICER])
    with pytest.raises(PermissionDenied):
        run_request(actor=users[Role.STATION_OFFICER])
    assert LinkageRun.objects.count() == 1


def test_evaluation_counts_pairs_against_the_truth():
    std = pa.table(
        {
            "record_id": [f"registry.person:{i}" for i in (1, 2, 3, 4, 5)],
            "doc_type_std": ["citizen_id"] * 5,
            "doc_std": ["A", "B", "C", "C", "D"],
        }
    )
    # Truth: 1~2 and 3~4 are one person each; 5 is alone. The run found 1~2 and 4~5.
    pairs = pa.table(
        {
            "record_id_l": ["registry.person:1", "registry.person:4"],
            "record_id_r": ["registry.person:2", "registry.person:5"],
            "match_probability": [0.99, 0.9],
        }
    )
    clusters = pa.table({"record_id": std.column("record_id"), "cluster_id": ["1", "1", "3", "4", "4"]})
    found = evaluate_run(std=std, pairs=pairs, clusters=clusters, keys={1: "P1", 2: "P1", 3: "P2", 4: "P2", 5: "P3"})
    assert found["splink"] == {"pairs": 2, "true_pairs": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert found["id_only"]["precision"] == 1.0 and found["id_only"]["recall"] == 0.5
    assert (found["true_people"], found["clusters_found"]) == (3, 3)


def test_the_command_runs_and_says_when_there_is_no_truth(province):
    out = io.StringIO()
    call_command("linkage_run", "--evaluate", stdout=out)
    text = out.getvalue()
    assert "4 records" in text and "no demo truth" in text
    assert LinkageRun.objects.get().trigger == "command"
