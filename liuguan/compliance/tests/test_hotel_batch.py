"""A hotel's front-desk system posts 10,000 guests at once: good rows land, bad rows get clear errors."""

import datetime as dt
import time

import pytest

from liuguan.conftest import api_client, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import Person, Stay

from ..models import Disagreement, DutyReport, ForeignDocument
from .conftest import make_stay

pytestmark = pytest.mark.django_db
URL = "/api/compliance/lodgings/guests"
TODAY = china_today()


def guest(i: int, **extra) -> dict:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=i % 12000)
    row = {
        "kind": "arrival",
        "occurred_on": TODAY.isoformat(),
        "person": {"doc_number": citizen_id("510104", birth.strftime("%Y%m%d"), f"{i % 1000:03d}"), "name": f"旅客{i}"},
        "room": str(100 + i % 300),
        "source_ref": f"BK{i}",
    }
    row.update(extra)
    return row


def test_ten_thousand_guests_with_a_few_bad_rows(hotel_user, token_for, lodging):
    client = api_client(token_for(hotel_user))
    rows = [guest(i) for i in range(10_000)]
    rows[10]["person"]["doc_number"] = rows[10]["person"]["doc_number"][:-1] + (
        "0" if rows[10]["person"]["doc_number"][-1] != "0" else "1"
    )
    rows[20]["occurred_on"] = (TODAY + dt.timedelta(days=3)).isoformat()
    rows[30]["person"]["name"] = ""
    rows[40] = {
        "kind": "arrival",
        "occurred_on": TODAY.isoformat(),
        "person": {
            "doc_type": "passport",
            "doc_number": "E1234567",
            "name": "ANNA",
            "sex": "F",
            "birth_date": "1990-02-02",
            "nationality": "DEU",
        },
    }
    rows[50] = {
        "kind": "arrival",
        "occurred_on": TODAY.isoformat(),
        "person": {
            "doc_type": "passport",
            "doc_number": "E7654321",
            "name": "PAUL",
            "sex": "M",
            "birth_date": "1991-03-03",
            "nationality": "FRA",
        },
        "foreign": {"kind": "visa", "number": "F0001", "expires_on": (TODAY + dt.timedelta(days=10)).isoformat()},
    }
    started = time.monotonic()
    response = client.post(URL, {"rows": rows}, content_type="application/json")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content[:500]
    assert_matches_openapi("POST", URL, response)
    body = response.json()
    results = body["results"]
    assert body["rows"] == 10_000 and len(results) == 10_000
    rejected = {
        r["row"]: {(p["field"], p["rule"]) for p in r["problems"]} for r in results if r["status"] == "rejected"
    }
    assert rejected == {
        11: {("doc_number", "gb11643.check_digit")},
        21: {("occurred_on", "duty.date_future")},
        31: {("name", "person.name_required")},
        41: {("foreign.kind", "foreign.document_required")},
    }
    assert body["counts"] == {"created": 9_996, "rejected": 4}
    assert Stay.objects.filter(lodging=lodging, source_channel="hotel", reason="travel").count() == 9_996
    assert DutyReport.objects.filter(lodging=lodging, outcome="created").count() == 9_996
    assert Person.objects.count() == 9_996  # one person per good row, none for the rejected ones
    good = results[0]
    stay = Stay.objects.get(pk=good["stay_id"])
    assert stay.person_id == good["person_id"] and stay.address.endswith(" 100") and stay.source_ref == "BK0"
    assert ForeignDocument.objects.get().person.name == "PAUL"
    assert audit_verify().ok
    assert elapsed < 60, f"the batch took {elapsed:.1f}s"


def test_a_second_batch_corroborates_checks_out_and_disagrees_without_duplicates(hotel_user, token_for, lodging):
    client = api_client(token_for(hotel_user))
    first = [guest(i) for i in range(5)]
    assert client.post(URL, {"rows": first}, content_type="application/json").status_code == 200
    # A guest already registered by a collector at another address of the community, since last month.
    other = Person.objects.get(name="旅客4")
    Stay.objects.filter(person=other).delete()
    DutyReport.objects.filter(person=other).delete()
    make_stay(other, arrived=TODAY - dt.timedelta(days=30))
    again = [guest(0), guest(1, kind="departure"), guest(2, kind="departure"), guest(2, kind="departure"), guest(4)]
    response = client.post(URL, {"rows": again}, content_type="application/json")
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["corroborated", "departed", "departed", "corroborated", "disagreed"]
    assert Person.objects.filter(name__startswith="旅客").count() == 5
    assert Stay.objects.get(person__name="旅客1").departed_on == TODAY
    assert Stay.objects.get(person=other).lodging_id is None
    assert set(Disagreement.objects.values_list("field", flat=True)) == {"lodging", "arrived_on"}


def test_more_than_ten_thousand_rows_answer_413_and_nothing_lands(hotel_user, token_for, lodging):
    client = api_client(token_for(hotel_user))
    response = client.post(URL, {"rows": [guest(i) for i in range(10_001)]}, content_type="application/json")
    assert response.status_code == 413
    assert_matches_openapi("POST", URL, response)
    assert not Stay.objects.exists()


def test_a_row_that_is_not_json_of_the_schema_answers_422_naming_it(hotel_user, token_for, lodging):
    client = api_client(token_for(hotel_user))
    rows = [guest(0), guest(1, occurred_on="2025-13-45")]
    response = client.post(URL, {"rows": rows}, content_type="application/json")
    assert response.status_code == 422
    assert 1 in response.json()["detail"][0]["loc"]
    assert not Stay.objects.exists()


def test_only_hotels_post_guests(landlord_a, employer_user, token_for, users, lodging):
    for user in (landlord_a, employer_user):
        response = api_client(token_for(user)).post(URL, {"rows": [guest(0)]}, content_type="application/json")
        assert response.status_code == 403
        assert_matches_openapi("POST", URL, response)
    assert not Stay.objects.exists()
