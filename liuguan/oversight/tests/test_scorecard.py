"""The scorecard's measures on the hand-made county of scorecard_world.py, figures checked by hand."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.core.errors import InvalidInput, NotFound
from liuguan.oversight.selectors_scorecard import NO_UNIT, Period, league, scorecard
from liuguan.registry.services import StayInput, stay_register

from .scorecard_world import A_COMMUNITY, SELF_COMMUNITY, world_fixture  # noqa: F401 (the world fixture)

pytestmark = pytest.mark.django_db


def _rows(card):
    return {row.key: row for row in card.rows}


def test_collector_level_hand_figures(world, users):
    card = scorecard(user=users[Role.COUNTY_OFFICER], level="collector", period=world.period)
    rows = _rows(card)
    a, b, residual = rows[world.a.pk], rows[world.b.pk], rows[f"{NO_UNIT}self"]
    assert (a.current.registrations, a.current.on_time_count) == (10, 5)
    assert (a.current.median_lag, a.current.p90_lag) == (5, 40)
    # Wilson's interval for 5 of 10 (z = 1.96): centre 0.5, half-width 0.2634.
    assert (round(a.current.on_time.low, 3), round(a.current.on_time.high, 3)) == (0.237, 0.763)
    assert (a.current.open_stays, a.current.stale) == (8, 5)
    assert (a.current.rejected, a.current.import_rows) == (3, 20)
    assert a.current.rejected_share == pytest.approx(0.15)
    # B registered only in the month before: nothing now, the comparison shows what changed.
    assert b.current.registrations == 0 and b.current.on_time.value is None
    assert (b.previous.registrations, b.previous.on_time_count, b.previous.median_lag, b.previous.p90_lag) == (
        4,
        2,
        0,
        60,
    )
    assert (b.current.open_stays, b.current.stale) == (4, 4)
    assert str(residual.name) and residual.current.registrations == 1 and residual.drill == []
    # The rows add up to the county, including the registration nobody collected.
    assert sum(r.current.registrations for r in card.rows) == card.total.current.registrations == 11
    assert card.total.current.on_time_count == 6
    assert card.total.previous.registrations == 4
    assert card.total.current.open_stays == 8 + 4 + 1
    # League by share on time: the self-declared row (1 of 1) first, A second; B and the fixture's collector
    # (nothing registered now) unranked at the bottom, but listed.
    assert [(r.key, r.rank) for r in card.rows[:2]] == [(f"{NO_UNIT}self", 1), (world.a.pk, 2)]
    assert {r.key: r.rank for r in card.rows[2:]} == {world.b.pk: None, users[Role.COLLECTOR].pk: None}


def test_area_levels_and_ranking(world, users):
    card = scorecard(user=users[Role.COUNTY_OFFICER], period=world.period)
    assert card.level == "street" and card.area.code == "510104"
    rows = _rows(card)
    assert rows["510104001"].current.registrations == 10
    assert rows["510104002"].current.registrations == 1
    assert rows["510104001"].drill == [("community", "510104001")]
    communities = scorecard(user=users[Role.COUNTY_OFFICER], level="community", period=world.period)
    assert set(_rows(communities)) == {"510104001001", "510104001002", "510104002001"}
    assert _rows(communities)[A_COMMUNITY].drill == [("point", A_COMMUNITY), ("collector", A_COMMUNITY)]
    by_lag = scorecard(user=users[Role.COUNTY_OFFICER], level="community", period=world.period, rank="median_lag")
    # Lower lag ranks first: 和平街 (2 days) before 东御河沿 (5); 西御河沿 registered nothing.
    assert [r.key for r in by_lag.rows] == [SELF_COMMUNITY, A_COMMUNITY, "510104001002"]
    points = scorecard(user=users[Role.STATION_OFFICER], level="point", period=world.period)
    assert _rows(points)[world.p1.pk].current.registrations == 10
    assert _rows(points)[world.p1.pk].current.rejected == 3


def test_period_comparison_and_quarter(world, users):
    officer = users[Role.COUNTY_OFFICER]
    month = scorecard(user=officer, level="collector", period=world.period)
    earlier = scorecard(user=officer, level="collector", period=world.period.previous())
    # Last month's figures of this card are this month's figures of the card before.
    for key, row in _rows(month).items():
        other = _rows(earlier).get(key)
        assert row.previous.registrations == (other.current.registrations if other else 0)
        assert row.previous.median_lag == (other.current.median_lag if other else None)
    quarter = Period.parse(f"{world.period.start.year}-Q{(world.period.start.month - 1) // 3 + 1}")
    if quarter.start <= world.period.previous().start:
        both = scorecard(user=officer, level="collector", period=quarter)
        assert _rows(both)[world.b.pk].current.registrations == 4


def test_stale_months_override(world, users):
    officer = users[Role.COUNTY_OFFICER]
    assert _rows(scorecard(user=officer, level="collector", period=world.period))[world.a.pk].current.stale == 5
    long = scorecard(user=officer, level="collector", period=world.period, stale_months=24)
    assert _rows(long)[world.a.pk].current.stale == 0


def test_page_refreshes_the_cells_first(world, users):
    officer = users[Role.COUNTY_OFFICER]
    client = login(officer)
    query = {"level": "collector", "period": Period.parse(None).code, "parent": "510104"}
    before = client.get("/oversight/scorecard/", query).context["card"]
    assert _rows(before)[world.b.pk].current.registrations == 0
    # B registers someone today through the service: the next page shows it without any rebuild.
    stay_register(
        actor=world.b,
        person=world.a_stays[0].person,
        stay=StayInput(community_code=world.b.division_id, arrived_on=dt.date.today(), reason="work"),
    )
    after = client.get("/oversight/scorecard/", query).context["card"]
    assert _rows(after)[world.b.pk].current.registrations == 1


def test_parameters_are_checked(world, users):
    officer = users[Role.COUNTY_OFFICER]
    with pytest.raises(InvalidInput):
        scorecard(user=officer, level="city")  # a county has no cities under it
    with pytest.raises(InvalidInput):
        scorecard(user=officer, rank="beauty")
    with pytest.raises(InvalidInput):
        Period.parse("2025-13")
    with pytest.raises(NotFound):
        scorecard(user=officer, parent="510107")
    assert Period.parse("2025-q2").start == dt.date(2025, 4, 1) and Period.parse("2025-Q2").end == dt.date(2025, 6, 30)
    assert Period.parse("2025").previous() == Period.parse("2024")
    assert Period.parse("2025-01").previous().code == "2024-12"
    assert Period.parse("2025-Q1").previous().code == "2024-Q4"
    response = login(officer).get("/oversight/scorecard/", {"level": "city"})
    assert response.status_code == 400


def test_league_shares_ranks_on_ties(world, users):
    card = scorecard(user=users[Role.COUNTY_OFFICER], level="community", period=world.period)
    rows = card.rows
    for row in rows:
        row.current.on_time_count, row.current.registrations = 1, 2
    ranked = league(rows, "on_time")
    assert [r.rank for r in ranked] == [1, 1, 1]


def test_api_gives_the_same_figures_and_fits_its_schema(world, users, token_for):
    from liuguan.conftest import api_client
    from liuguan.core.testing import assert_matches_openapi

    api = api_client(token_for(users[Role.COUNTY_OFFICER]))
    response = api.get("/api/oversight/scorecard", {"level": "collector", "period": world.period.code})
    assert response.status_code == 200
    assert_matches_openapi("GET", "/api/oversight/scorecard", response)
    body = response.json()
    assert (body["area_code"], body["level"], body["period"]["code"]) == ("510104", "collector", world.period.code)
    a = next(u for u in body["units"] if u["key"] == str(world.a.pk))
    assert (a["rank"], a["current"]["registrations"], a["current"]["median_lag"], a["current"]["p90_lag"]) == (
        2,
        10,
        5,
        40,
    )
    assert round(a["current"]["on_time"]["low"], 3) == 0.237 and round(a["current"]["on_time"]["high"], 3) == 0.763
    assert body["total"]["current"]["registrations"] == 11 and body["previous"]["code"] == world.period.previous().code
    bad = api.get("/api/oversight/scorecard", {"level": "city"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["rule"] == "scorecard.level"
    assert_matches_openapi("GET", "/api/oversight/scorecard", bad)
    outside = api.get("/api/oversight/scorecard", {"parent": "510107"})
    assert outside.status_code == 404


def test_grid_supervision_cards_show_per_area_and_rank(world, users):
    from liuguan.grid.models import EventCategory, GridEvent, Supervision

    category = EventCategory.objects.order_by("code").first()

    def cards(community, colours, issued_on):
        for index, colour in enumerate(colours):
            event = GridEvent.objects.create(
                number=f"E-{community}-{index}-{issued_on:%m%d}",
                community_id=community,
                category=category,
                source="field",
                channel="none",
                description="楼道堆放杂物",
            )
            Supervision.objects.create(
                event=event, community_id=community, stage="accept", card=colour, due_on=issued_on, issued_on=issued_on
            )

    inside = world.period.start + dt.timedelta(days=3)
    cards(A_COMMUNITY, ["yellow", "red"], inside)
    cards(SELF_COMMUNITY, ["yellow", "yellow"], inside)
    cards(SELF_COMMUNITY, ["red"], world.period.start - dt.timedelta(days=40))  # before the period: not counted
    card = scorecard(user=users[Role.COUNTY_OFFICER], level="community", period=world.period, rank="red_cards")
    rows = _rows(card)
    assert (rows[A_COMMUNITY].cards.yellow, rows[A_COMMUNITY].cards.red) == (1, 1)
    assert (rows[SELF_COMMUNITY].cards.yellow, rows[SELF_COMMUNITY].cards.red) == (2, 0)
    assert (rows["510104001002"].cards.yellow, rows["510104001002"].cards.red) == (0, 0)
    assert (card.total.cards.yellow, card.total.cards.red) == (3, 1)
    # Fewer red cards rank first; the unit with one red card comes last.
    assert card.rows[-1].key == A_COMMUNITY
    streets = _rows(scorecard(user=users[Role.COUNTY_OFFICER], level="street", period=world.period))
    assert (streets["510104001"].cards.yellow, streets["510104002"].cards.yellow) == (1, 2)
