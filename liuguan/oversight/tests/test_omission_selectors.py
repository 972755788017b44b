"""The two lists of the omission estimate, counted on a hand-made community, and who may see them."""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.compliance.models import DutyReport
from liuguan.conftest import IN_COMMUNITY, citizen_id, login
from liuguan.core.errors import NotFound
from liuguan.oversight import selectors_omission as omission
from liuguan.oversight.stats import chapman
from liuguan.registry.models import Employer, House, Person, Stay

ARRIVED = dt.date(2025, 3, 1)
OTHER_COMMUNITY = "510104001002"


def _person(n: int, *, name: str | None = None, pinyin: str | None = None) -> Person:
    return Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", "19900307", f"{n:03d}"),
        name=name or f"甲{n}",
        name_pinyin=pinyin if pinyin is not None else f"jia{n}",
        name_initials="j",
        sex="M",
        birth_date=dt.date(1990, 3, 7),
    )


def _stay(person, *, channel="collector", house=None, employer=None, community=IN_COMMUNITY, **extra) -> Stay:
    values = {"reason": "work", "arrived_on": ARRIVED, "source_channel": channel} | extra
    return Stay.objects.create(person=person, community_id=community, house=house, employer=employer, **values)


def _report(stay: Stay, channel: str = "landlord", outcome: str = "corroborated") -> DutyReport:
    return DutyReport.objects.create(
        channel=channel,
        kind="arrival",
        community_id=stay.community_id,
        house=stay.house if channel == "landlord" else None,
        employer=stay.employer if channel == "employer" else None,
        person=stay.person,
        stay=stay,
        occurred_on=stay.arrived_on,
        deadline_days=3,
        lag_days=1,
        outcome=outcome,
    )


@pytest.fixture
def area(divisions):
    """A community with 10 people registered by collectors, 8 reported by their landlord or employer, 5 on both;
    and people the estimate must leave out or count once."""
    house = House.objects.create(
        address="东御河沿街 1 号", community_id=IN_COMMUNITY, kind="rental", owner_name="王房东"
    )
    own_home = House.objects.create(address="东御河沿街 2 号", community_id=IN_COMMUNITY, kind="owned")
    factory = Employer.objects.create(name="锦江制衣厂", industry="C", community_id=IN_COMMUNITY)
    people = [_person(n) for n in range(1, 14)]
    registered = {}
    for i, p in enumerate(people[:10]):  # 1-10: list 1; 1-7 tenants, 8-10 employees living elsewhere
        where = {"house": house} if i < 7 else {"employer": factory, "house": own_home}
        registered[i] = _stay(p, channel=("collector", "self", "import")[i % 3], **where)
    for i in range(5):  # 1-5 also reported: on both lists
        _report(registered[i])
    for p in people[10:13]:  # 11-13: only the landlord's report registered them (list 2 only)
        _report(_stay(p, channel="landlord", house=house), outcome="created")
    # Left out: a hotel guest, someone at home with no employer, someone who has left, a report of a closed stay.
    guest = _person(20)
    _stay(guest, channel="collector", house=house, reason="travel")
    _stay(_person(21), channel="collector", house=own_home)
    gone = _person(22)
    _report(_stay(gone, channel="collector", house=house, departed_on=dt.date(2025, 6, 1)))
    # Person 1 registered a second time under a mistyped number, same name and house: still one person.
    twin = Person.objects.create(
        doc_type="citizen_id", doc_number=citizen_id("511321", "19900317", "001"), name="甲1", name_pinyin="jia 1",
        name_initials="j", sex="M", birth_date=dt.date(1990, 3, 17),
    )  # fmt: skip
    _report(_stay(twin, channel="self", house=house))
    return {"house": house, "factory": factory, "people": people}


def test_the_lists_count_distinct_people_in_reach_of_both(area, users):
    figure = omission.omission_total(user=users[Role.COUNTY_OFFICER], area=IN_COMMUNITY)
    assert (figure.n1, figure.n2, figure.m) == (10, 8, 5)
    assert figure.candidates == 3
    assert figure.outside == 1  # the person in their own home with no employer
    assert figure.pooled.value == pytest.approx(11 * 9 / 6 - 1)  # Chapman: 15.5
    assert figure.n_hat.value == pytest.approx(15.5)
    assert figure.missed.value == pytest.approx(5.5)
    assert figure.rate.value == pytest.approx(5.5 / 15.5)
    assert figure.missed_both.value == pytest.approx(15.5 - 13)
    # The missed count's interval is N's, moved by the 10 on list 1.
    assert figure.missed.low == pytest.approx(figure.n_hat.low - 10)
    assert figure.n_hat.low >= 13 and figure.n_hat.high > 15.5
    assert figure.strata[omission.TENANTS] == omission.Counts(7, 8, 5)
    assert figure.strata[omission.EMPLOYEES] == omission.Counts(3, 0, 0)
    assert "few_matches" in figure.notes and "stratum_thin" in figure.notes


def test_the_figure_is_chapmans_with_the_design_effect_on_its_variance():
    counts = {omission.TENANTS: omission.Counts(300, 280, 250), omission.EMPLOYEES: omission.Counts(100, 90, 80)}
    plain = omission.omission_figure("510104001001", counts)
    clustered = omission.omission_figure("510104001001", counts, dispersion=2.0)
    base = chapman(400, 370, 330)
    assert plain.pooled.value == pytest.approx(base.value) and plain.pooled.se == pytest.approx(base.se)
    assert clustered.pooled.se == pytest.approx(base.se * 2**0.5)
    assert clustered.n_hat.high > plain.n_hat.high
    assert plain.stratified.value == pytest.approx(chapman(300, 280, 250).value + chapman(100, 90, 80).value)
    assert plain.method == "pooled" and "strata_differ" not in plain.notes


def test_strata_covered_differently_by_both_lists_are_estimated_apart():
    # Tenants: 90% on each list; employees: 50% on each. Pooling them biases the estimate down.
    counts = {omission.TENANTS: omission.Counts(900, 900, 810), omission.EMPLOYEES: omission.Counts(500, 500, 250)}
    figure = omission.omission_figure("510104", counts)
    assert "strata_differ" in figure.notes and figure.method == "stratified"
    assert figure.n_hat.value == pytest.approx(figure.stratified.value)
    assert figure.stratified.value > figure.pooled.value + 50


def test_design_effect_of_whole_households():
    # Groups whose coverage swings far more than people caught one by one would make it swing.
    swinging = [omission.Counts(40, 40, 40 if g % 2 else 20) for g in range(40)]
    steady = [omission.Counts(40, 40, 36) for g in range(40)]
    assert omission.design_effect(swinging) > 3
    assert omission.design_effect(steady) == 1.0
    assert omission.design_effect(steady[:5]) is None  # too few groups to measure


def test_candidates_are_the_people_on_list_two_only(area, users):
    rows, total = omission.omission_candidates(user=users[Role.COUNTY_OFFICER], area=IN_COMMUNITY)
    names = sorted(c.person.name for c in rows)
    assert total == 3 and names == ["甲11", "甲12", "甲13"]
    assert {c.party for c in rows} == {"王房东"}
    assert all(c.report.outcome == "created" for c in rows)


def test_an_officer_of_another_county_sees_none_of_it(area, users, divisions):
    other = User.objects.create(username="wuhou", role=Role.COUNTY_OFFICER, division=divisions["510107"])
    rows, total = omission.omission_candidates(user=other)
    assert total == 0 and rows == []
    assert omission.omission_total(user=other).n2 == 0
    with pytest.raises(NotFound):
        omission.omission_total(user=other, area=IN_COMMUNITY)
    with pytest.raises(NotFound):
        omission.omission_by_unit(user=other, level="community", parent="510104")
    client = login(other)
    assert client.get("/oversight/omissions/", {"parent": "510104"}).status_code == 404
    assert client.get("/oversight/omissions/candidates/", {"area": IN_COMMUNITY}).status_code == 404
    page = client.get("/oversight/omissions/candidates/").content.decode()
    assert "甲11" not in page


def test_units_are_grouped_by_code_prefix(area, users):
    _stay(_person(30), channel="collector", house=area["house"], community=OTHER_COMMUNITY)
    units = omission.omission_by_unit(user=users[Role.STREET_OFFICER], level="community")
    assert set(units) == {IN_COMMUNITY, OTHER_COMMUNITY}
    assert (units[OTHER_COMMUNITY].n1, units[OTHER_COMMUNITY].n2) == (1, 0)
    assert units[OTHER_COMMUNITY].n_hat.value is None  # one list empty: nothing to estimate
    assert omission.omission_by_unit(user=users[Role.STREET_OFFICER], level="county") == {}  # above the jurisdiction
    county = omission.omission_by_unit(user=users[Role.COUNTY_OFFICER], level="county")
    assert county["510104"].n1 == 11


def test_the_page_shows_estimates_and_candidates_masked(area, users):
    client = login(users[Role.COUNTY_OFFICER])
    page = client.get("/oversight/omissions/", {"parent": "510104001", "level": "community"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-code="510104001001"' in text and "Demo&#x27;s known truth" not in text
    candidates = client.get("/oversight/omissions/candidates/", {"area": IN_COMMUNITY}).content.decode()
    number = area["people"][10].doc_number
    assert "甲11" in candidates and number not in candidates and area["people"][10].doc_number_masked in candidates
    csv = client.get("/oversight/omissions/candidates.csv", {"area": IN_COMMUNITY}).content.decode("utf-8-sig")
    assert "甲12" in csv and number not in csv
    # Field workers have no omission.view.
    assert login(users[Role.COLLECTOR]).get("/oversight/omissions/").status_code == 403
