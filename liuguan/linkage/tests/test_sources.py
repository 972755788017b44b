import datetime as dt

from liuguan.conftest import IN_COMMUNITY
from liuguan.linkage import sources
from liuguan.outflow.models import ExpectedArrival, Peer
from liuguan.registry.models import Person


def _rows(collected):
    table = collected.table
    return {r["record_id"]: r for r in table.to_pylist()}


def test_people_rows_carry_the_open_stays_address_and_leave_merged_people_out(person_in, person_out):
    Person.objects.filter(pk=person_out.pk).update(merged_into=person_in)
    rows = _rows(sources.collect(only=["registry.person"]))
    assert list(rows) == [f"registry.person:{person_in.pk}"]
    row = rows[f"registry.person:{person_in.pk}"]
    assert (row["name"], row["birth_date"], row["hukou"], row["address"]) == (
        "张三",
        "1990-03-07",
        person_in.hukou_code,
        "东御河沿街 8 号",
    )


def test_unanswered_expected_arrivals_are_records_of_their_own(divisions, person_in):
    peer = Peer.objects.create(code="cq", name="重庆", url="https://cq.example", public_key="k" * 64, areas="50")
    ExpectedArrival.objects.create(
        peer=peer,
        origin_ref="A1",
        doc_type="citizen_id",
        doc_number="500101199211201351",
        name="王五",
        birth_date=dt.date(1992, 11, 20),
        expected_code=IN_COMMUNITY,
    )
    ExpectedArrival.objects.create(
        peer=peer,
        origin_ref="A2",
        person=person_in,
        doc_type="citizen_id",
        doc_number="x",
        name="张三",
        expected_code=IN_COMMUNITY,
    )
    collected = sources.collect(only=["outflow.expectedarrival"])
    (record_id,) = _rows(collected)
    assert record_id.startswith("outflow.expectedarrival:") and collected.counts == {"outflow.expectedarrival": 1}
    assert collected.places[record_id].community == IN_COMMUNITY and collected.places[record_id].person_id is None
