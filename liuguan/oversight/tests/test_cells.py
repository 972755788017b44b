"""The timeliness and staleness cells equal a direct count over the stays, after a rebuild and after each refresh."""

import datetime as dt
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import citizen_id
from liuguan.geo.models import Office
from liuguan.oversight.cells import cells_rebuild, cells_refresh, covering_prefixes
from liuguan.oversight.models import CellsState, OpenStayCell, RegistrationCell
from liuguan.oversight.selectors_scorecard_measures import open_measures
from liuguan.registry.models import Stay
from liuguan.registry.services import PersonInput, StayInput, person_register, stay_depart, stay_register, stay_verify

CHINA = ZoneInfo("Asia/Shanghai")
COMMUNITIES = ["510104001001", "510104001002", "510104002001", "510107001001"]


def _expected_registrations() -> Counter:
    out = Counter()
    for s in Stay.objects.all():
        month = s.registered_at.astimezone(CHINA).date().replace(day=1)
        lag = None if s.lag_days is None else min(s.lag_days, RegistrationCell.LAG_CAP)
        out[(month, s.community_id, s.collector_id, s.collection_point_id, s.source_channel, lag, s.late)] += 1
    return out


def _expected_open() -> Counter:
    out = Counter()
    for s in Stay.objects.filter(departed_on__isnull=True):
        checked = s.verified_on or s.registered_at.astimezone(CHINA).date()
        out[(s.community_id, s.collector_id, s.collection_point_id, s.source_channel, checked.replace(day=1))] += 1
    return out


def _cells() -> tuple[Counter, Counter]:
    registrations, stays_open = Counter(), Counter()
    for c in RegistrationCell.objects.all():
        registrations[(c.month, c.community, c.collector_id, c.point_id, c.channel, c.lag, c.late)] += c.n
    for c in OpenStayCell.objects.all():
        stays_open[(c.community, c.collector_id, c.point_id, c.channel, c.checked_month)] += c.n
    return registrations, stays_open


def _assert_exact():
    registrations, stays_open = _cells()
    assert registrations == _expected_registrations()
    assert stays_open == _expected_open()
    # The per-county copy kept in memory for the province's and cities' staleness agrees with the cells.
    before = dt.date(2025, 3, 1)
    for parent, level in (("51", "city"), ("51", "county"), ("5101", "county")):
        kept = open_measures(parent=parent, level=level, stale_before=before)
        direct = open_measures(parent=parent, level=level, stale_before=before, memory=False)
        assert {k: list(v) for k, v in kept.items()} == {k: list(v) for k, v in direct.items()}


@pytest.fixture
def collectors(divisions):
    made = []
    for i, code in enumerate(COMMUNITIES):
        point = Office.objects.create(kind="collection_point", name=f"采集点{i}", division=divisions[code])
        user = User.objects.create(
            username=f"cells-collector-{i}", role=Role.COLLECTOR, division=divisions[code], office=point
        )
        made.append(user)
    # A station officer without a collection point: stays with a collector but no point.
    made.append(
        User.objects.create(username="cells-station", role=Role.STATION_OFFICER, division=divisions[COMMUNITIES[0]])
    )
    return made


class Clock:
    """timezone.now() at chosen instants, so registrations fall in chosen China-time months."""

    def __init__(self, monkeypatch):
        self.at = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.at)


def _register(actor, n: int, *, arrived: dt.date, name: str):
    number = citizen_id(
        "511321", (dt.date(1970, 1, 1) + dt.timedelta(days=37 * n)).strftime("%Y%m%d"), f"{n % 1000:03d}"
    )
    return person_register(
        actor=actor,
        person=PersonInput(doc_type="citizen_id", doc_number=number, name=name),
        stay=StayInput(community_code=actor.division_id, arrived_on=arrived, reason="work"),
        not_duplicate_of=(),
    )


NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


@pytest.mark.django_db
def test_cells_equal_a_direct_count_after_random_work(collectors, monkeypatch):
    rng = random.Random(6)
    clock = Clock(monkeypatch)
    # Instants around China's month ends: 2025-01-31 16:30 UTC is already 1 February in China.
    instants = [
        dt.datetime(2025, 1, 31, 15, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 1, 31, 16, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC),
        dt.datetime(2025, 4, 30, 23, 0, tzinfo=dt.UTC),
    ]
    assert cells_rebuild()["mode"] == "rebuild"
    n = 0
    for _round in range(4):
        for _ in range(8):
            n += 1
            clock.at = rng.choice(instants)
            # Lags from a day to well past the cap, so late and capped registrations both occur.
            arrived = clock.at.astimezone(CHINA).date() - dt.timedelta(days=rng.choice([0, 3, 29, 45, 400, 800]))
            actor = rng.choice(collectors)
            name = NAMES[n % len(NAMES)] + NAMES[(n * 7) % len(NAMES)] + NAMES[(n * 13) % len(NAMES)]
            _register(actor, n, arrived=arrived, name=name)
        clock.at = dt.datetime(2025, 5, 20, 4, 0, tzinfo=dt.UTC)
        open_stays = list(Stay.objects.filter(departed_on__isnull=True).select_related("person").order_by("pk"))
        for stay in rng.sample(open_stays, 2):
            stay_depart(actor=_officer_for(stay, collectors), stay_id=stay.pk, departed_on=dt.date(2025, 5, 19))
        still_open = list(Stay.objects.filter(departed_on__isnull=True).order_by("pk"))
        for stay in rng.sample(still_open, 3):
            stay_verify(actor=_officer_for(stay, collectors), stay_ids=[stay.pk], on=dt.date(2025, 5, 2), reason="走访")
        # A person who moved: a second stay in another community, registered by that community's collector.
        mover = rng.choice(open_stays).person
        other = [
            c for c in collectors[:4] if not Stay.objects.filter(person=mover, community_id=c.division_id).exists()
        ]
        stay_register(
            actor=other[0],
            person=mover,
            stay=StayInput(community_code=other[0].division_id, arrived_on=dt.date(2025, 5, 1), reason="work"),
        )
        result = cells_refresh()
        assert result["mode"] == "refresh"
        _assert_exact()
    assert cells_refresh()["mode"] == "current"
    # Everything in the cells came from the refreshes; a rebuild gives the same cells.
    before = _cells()
    cells_rebuild()
    assert _cells() == before
    assert RegistrationCell.objects.filter(lag=RegistrationCell.LAG_CAP).exists()
    assert RegistrationCell.objects.filter(late=True).exists()


def _officer_for(stay, collectors):
    return next(c for c in collectors if c.division_id == stay.community_id)


@pytest.mark.django_db
def test_refresh_recomputes_only_the_areas_written_to(collectors, monkeypatch):
    _register(collectors[0], 1, arrived=dt.date(2025, 1, 2), name="钱多多")
    _register(collectors[3], 2, arrived=dt.date(2025, 1, 2), name="孙小小")
    cells_rebuild()
    # A cell no stay supports, in an area nobody writes to: an incremental refresh must leave it alone.
    RegistrationCell.objects.create(
        month=dt.date(2020, 1, 1), community=COMMUNITIES[3], channel="collector", lag=1, late=False, n=99
    )
    _register(collectors[0], 3, arrived=dt.date(2025, 1, 3), name="李大大")
    result = cells_refresh()
    assert result["prefixes"] == 1
    assert RegistrationCell.objects.filter(n=99).exists()
    assert sum(RegistrationCell.objects.filter(community=COMMUNITIES[0]).values_list("n", flat=True)) == 2
    cells_rebuild()
    assert not RegistrationCell.objects.filter(n=99).exists()


@pytest.mark.django_db
def test_first_refresh_builds_everything_and_unchanged_is_one_query(collectors, django_assert_num_queries):
    # A stay written without the services (as the demo generator does in bulk) is found by the first build.
    _register(collectors[0], 1, arrived=dt.date(2025, 1, 2), name="钱多多")
    assert not CellsState.objects.exists()
    assert cells_refresh()["mode"] == "rebuild"
    _assert_exact()
    with django_assert_num_queries(1):
        assert cells_refresh()["mode"] == "current"


@pytest.mark.django_db
def test_quality_cells_command(collectors, capsys):
    _register(collectors[1], 1, arrived=dt.date(2025, 1, 2), name="钱多多")
    call_command("quality_cells", "--rebuild")
    assert "rebuild" in capsys.readouterr().out
    _assert_exact()
    call_command("quality_cells")
    assert "current" in capsys.readouterr().out


def test_covering_prefixes():
    assert covering_prefixes(["510104001001", "510104", "510104002001", "510107001001", "", "x"]) == [
        "510104",
        "510107001001",
    ]
    assert covering_prefixes(["5101040010019"]) == ["510104001001"]
    assert covering_prefixes(["51", "5101"]) == ["51"]


@pytest.mark.django_db
def test_a_verification_alone_moves_the_stay_to_its_checked_month(collectors):
    done = _register(collectors[2], 1, arrived=dt.date(2025, 1, 2), name="钱多多")
    cells_rebuild()
    stay_verify(actor=collectors[2], stay_ids=[done.stay.pk], on=dt.date(2025, 2, 14), reason="走访")
    assert cells_refresh()["prefixes"] == 1
    assert list(OpenStayCell.objects.values_list("checked_month", "n")) == [(dt.date(2025, 2, 1), 1)]
    stay_depart(actor=collectors[2], stay_id=done.stay.pk, departed_on=dt.date(2025, 2, 15))
    cells_refresh()
    assert not OpenStayCell.objects.exists()
    _assert_exact()
