"""Bulk extracts: every record inside the grant's area with only the granted fields, as CSV or Parquet, logged
with the row count and the digest of what was sent; without an extract grant, 403 and a logged refusal.
"""

import csv
import datetime as dt
import hashlib
import io

import pyarrow.parquet as pq
import pytest

from liuguan.conftest import api_client
from liuguan.core.models import AuditEvent
from liuguan.exchange.tests.factories import key_for, make_department, make_grant, make_subsystem
from liuguan.registry.models import Stay


@pytest.fixture
def education(divisions):
    return make_subsystem(make_department("education", "教育局"), "schools")


def body_of(response) -> bytes:
    # The test client closes the response (and so ends the stream and writes the log) once it is read.
    return b"".join(response.streaming_content)


def extract_logs(subsystem):
    return AuditEvent.objects.filter(actor_id=subsystem.account_id, action="exchange.extract").order_by("id")


def test_csv_holds_only_granted_fields_of_records_inside_the_area(education, person_in, person_out, person_far):
    make_grant(education, "stays", fields=["doc_number", "community_code", "arrived_on"], ways=["extract"], area="5101")

    response = api_client(key_for(education)).get("/api/exchange/extracts/stays.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    data = body_of(response)
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows == [
        ["doc_number", "community_code", "arrived_on"],
        [person_in.doc_number, "510104001001", "2024-05-01"],
    ]
    [log] = extract_logs(education)
    assert log.changes["outcome"] == "ok" and log.changes["rows"] == 1 and log.changes["format"] == "csv"
    assert log.changes["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_field_granted_for_one_area_only_stays_empty_elsewhere(education, person_in, person_out, person_far):
    make_grant(education, "people", fields=["doc_number", "sex"], ways=["extract"], area="510104")
    make_grant(education, "people", fields=["sex"], ways=["extract"], area="5107")

    data = body_of(api_client(key_for(education)).get("/api/exchange/extracts/people.csv"))

    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0] == ["doc_number", "sex"]
    assert sorted(rows[1:]) == sorted([[person_in.doc_number, "M"], ["", "F"]])
    assert person_far.doc_number not in data.decode()


def test_parquet_holds_the_same_records_in_typed_columns(education, person_in, person_out):
    Stay.objects.create(
        person=person_in, community_id="510104002001", reason="work", arrived_on=dt.date(2025, 1, 2),
        source_channel="collector", address="春熙路 1 号",
    )  # fmt: skip
    make_grant(education, "stays", fields=["person_id", "arrived_on", "address"], ways=["extract"], area="510104")

    response = api_client(key_for(education)).get("/api/exchange/extracts/stays.parquet")

    assert response.status_code == 200, response
    data = body_of(response)
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == ["person_id", "address", "arrived_on"]
    assert str(table.schema.field("arrived_on").type) == "date32[day]"
    assert sorted(table.column("arrived_on").to_pylist()) == [dt.date(2024, 5, 1), dt.date(2025, 1, 2)]
    assert set(table.column("person_id").to_pylist()) == {person_in.pk}
    [log] = extract_logs(education)
    assert log.changes["rows"] == 2 and log.changes["sha256"] == hashlib.sha256(data).hexdigest()
    assert response["X-Liuguan-Sha256"] == log.changes["sha256"]


@pytest.mark.parametrize("case", ["no grant", "feed only", "other dataset", "expired"])
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_without_an_extract_grant_nothing_is_sent_and_the_log_shows_it(education, person_in, case, suffix):
    if case == "feed only":
        make_grant(education, "people", fields=["name"], ways=["feed", "query"])
    elif case == "other dataset":
        make_grant(education, "houses", fields=["address"], ways=["extract"])
    elif case == "expired":
        start = dt.date.today() - dt.timedelta(days=100)
        make_grant(education, "people", fields=["name"], ways=["extract"], valid_from=start, days=10)

    response = api_client(key_for(education)).get(f"/api/exchange/extracts/people.{suffix}")

    assert response.status_code == 403
    assert "张三" not in response.content.decode(errors="replace")
    [log] = extract_logs(education)
    assert log.changes["outcome"] == "refused"
