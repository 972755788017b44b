"""The open-data thresholds: the longest prefix wins, a stricter one inside an area applies to it, and only the
province administrator sets them (audited), inside the province.
"""

import pytest
from django.test import override_settings

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.core.errors import InvalidInput, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.insight.models import OpenDataThreshold
from liuguan.insight.opendata import threshold_for, threshold_remove, threshold_set

pytestmark = pytest.mark.django_db
PAGE = "/insight/open-data/"


@override_settings(LIUGUAN_OPEN_DATA_K=7)
def test_the_longest_prefix_wins_and_a_stricter_one_inside_raises_the_area(divisions):
    assert threshold_for("510104001001") == 7  # none set: the settings' default
    OpenDataThreshold.objects.create(prefix="51", k=10)
    OpenDataThreshold.objects.create(prefix="5101", k=20)
    OpenDataThreshold.objects.create(prefix="510104", k=5)
    assert threshold_for("510104001001") == 5  # 锦江区's own
    assert threshold_for("510107001001") == 20  # Chengdu's
    assert threshold_for("510703") == 10  # the province's
    assert threshold_for("5101") == 20  # Chengdu's own; 锦江区's 5 is laxer
    assert threshold_for("51") == 20  # a table of the province shows Chengdu's people too


def test_the_province_administrator_sets_a_citys_k_and_it_is_audited(users, divisions):
    admin = users[Role.PROVINCE_ADMIN]
    threshold_set(actor=admin, prefix="5101", k=15, note="省统计局意见")
    threshold_set(actor=admin, prefix="5101", k=12)
    assert OpenDataThreshold.objects.get(prefix="5101").k == 12
    event = AuditEvent.objects.filter(action="insight.threshold_set").latest("id")
    assert event.actor_id == admin.pk and event.changes["k"] == [15, 12] and event.division_code == "5101"
    threshold_remove(actor=admin, prefix="5101")
    assert not OpenDataThreshold.objects.exists()
    assert AuditEvent.objects.filter(action="insight.threshold_removed").count() == 1


@pytest.mark.parametrize(
    ("prefix", "k", "field"),
    [("5199", 10, "prefix"), ("500101", 10, "prefix"), ("5101", 1, "k"), ("5101", None, "k"), ("", 10, "prefix")],
)
def test_bad_thresholds_name_the_field_and_write_nothing(users, prefix, k, field):
    with pytest.raises(InvalidInput) as caught:
        threshold_set(actor=users[Role.PROVINCE_ADMIN], prefix=prefix, k=k)
    assert field in [p.field for p in caught.value.problems]
    assert not OpenDataThreshold.objects.exists()
    assert not AuditEvent.objects.filter(action="insight.threshold_set").exists()


@pytest.mark.parametrize("role", [Role.CITY_OFFICER, Role.AUDITOR, Role.DEPARTMENT_USER, Role.STATION_OFFICER])
def test_others_do_not_set_thresholds(users, role):
    with pytest.raises(PermissionDenied):
        threshold_set(actor=users[role], prefix="5101", k=3)
    assert not OpenDataThreshold.objects.exists()


def test_the_page_lists_sets_and_removes(users):
    client = login(users[Role.PROVINCE_ADMIN])
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="threshold-form"' in page.content.decode()
    response = client.post(PAGE, {"prefix": "5107", "k": "25", "note": ""})
    assert response.status_code == 302
    assert OpenDataThreshold.objects.get(prefix="5107").k == 25
    assert "5107" in client.get(PAGE).content.decode().split('data-testid="opendata-thresholds"')[1]
    bad = client.post(PAGE, {"prefix": "5107", "k": "0"})
    assert bad.status_code == 200 and OpenDataThreshold.objects.get(prefix="5107").k == 25
    assert client.post(f"{PAGE}5107/remove/").status_code == 302
    assert not OpenDataThreshold.objects.exists()


@pytest.mark.parametrize("role", [Role.CITY_OFFICER, Role.AUDITOR, Role.DEPARTMENT_USER])
def test_the_page_is_refused_to_others(users, role):
    client = login(users[role])
    assert client.get(PAGE).status_code in (302, 403)
    client.post(PAGE, {"prefix": "5107", "k": "25"})
    assert not OpenDataThreshold.objects.exists()
