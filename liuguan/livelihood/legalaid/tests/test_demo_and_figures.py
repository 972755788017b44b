"""The demo ships Chengdu's counts from the report, and the figures per area add up on a hand-made case."""

from django.core.management import call_command

from liuguan.accounts.roles import Role
from liuguan.core.models import AuditEvent
from liuguan.livelihood.legalaid.demo import network_load
from liuguan.livelihood.legalaid.models import LegalAidUnit
from liuguan.livelihood.legalaid.selectors import units_by_area


def test_the_demo_network_has_the_reports_counts(users):
    assert network_load() == {"centre": 20, "workstation": 426, "liaison": 3436}
    # the city's centre sits at the city, the other 19 over its counties (two in the fixture tree)
    assert LegalAidUnit.objects.filter(kind="centre", division_id="5101").count() == 1
    assert LegalAidUnit.objects.filter(kind="centre", division__level="county").count() == 19
    assert set(LegalAidUnit.objects.filter(kind="liaison").values_list("division__level", flat=True)) == {"community"}
    figures = units_by_area(user=users[Role.CITY_OFFICER])
    assert (figures["total"]["centre"], figures["total"]["workstation"], figures["total"]["liaison"]) == (20, 426, 3436)
    events = AuditEvent.objects.count()
    assert network_load() == {"centre": 20, "workstation": 426, "liaison": 3436}  # a second run adds nothing
    assert AuditEvent.objects.count() == events


def test_the_command_opens_demo_requests(users, person_in, capsys):
    station = users[Role.STATION_OFFICER]
    station.username = "station"
    station.save()
    call_command("legalaid_demo")
    out = capsys.readouterr().out
    assert "20 centres, 426 workstations, 3436 liaisons" in out
    assert "1 demo legal aid requests opened" in out  # one person lives in the station's community


def test_figures_per_area_by_kind(net):
    LegalAidUnit.objects.create(kind="liaison", name="和平街联络员", division_id="510104002001")
    LegalAidUnit.objects.create(kind="liaison", name="停用", division_id="510104002001", active=False)
    county = units_by_area(user=net[Role.COUNTY_OFFICER])
    rows = {r["code"]: (r["centre"], r["workstation"], r["liaison"]) for r in county["rows"]}
    assert rows == {"510104001": (0, 1, 1), "510104002": (0, 0, 1)}
    assert (county["at_area"]["centre"], county["at_area"]["workstation"]) == (1, 1)
    assert county["total"]["total"] == 5  # the inactive one is not counted, nor the city's centre above
    station = units_by_area(user=net[Role.STATION_OFFICER])
    assert station["total"]["total"] == 1
