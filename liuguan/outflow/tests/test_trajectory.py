"""A person's trajectory: stays in two counties, a stay at another instance, an origin's unconfirmed report."""

import datetime as dt

import pytest
from django.utils.translation import gettext

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, citizen_id, login
from liuguan.core.errors import NotFound
from liuguan.outflow.models import OutflowRecord, Peer, RemoteStay
from liuguan.outflow.selectors_trajectory import Kind, move_level, trajectory
from liuguan.outflow.views_trajectory import timeline, trajectory_panel
from liuguan.registry.models import Person, Stay

JINJIANG, WUHOU, FUCHENG = "510104001001", "510107001001", "510703001001"
JINJIANG_ADDRESS, WUHOU_ADDRESS = "督院街 3 号 2 单元 501", "锦里西路 7 号 302"


def _person(name: str, hukou: str, seq: str, pinyin: str) -> Person:
    number = citizen_id(hukou, "19880412", seq)
    return Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin=pinyin,
        name_initials=pinyin[:2],
        sex="M",
        birth_date=dt.date(1988, 4, 12),
        hukou_code=hukou,
    )


def _stay(person, community, arrived, departed=None, address=""):
    return Stay.objects.create(
        person=person,
        community_id=community,
        reason="work",
        arrived_on=arrived,
        departed_on=departed,
        source_channel="collector",
        address=address,
    )


@pytest.fixture
def mover(divisions):
    """From 南充市南部县 to 锦江区 in 2024, then on to 武侯区 in 2025 (still there)."""
    person = _person("赵六", "511321", "317", "zhaoliu")
    _stay(person, JINJIANG, dt.date(2024, 3, 1), dt.date(2025, 1, 10), address=JINJIANG_ADDRESS)
    _stay(person, WUHOU, dt.date(2025, 1, 12), address=WUHOU_ADDRESS)
    return person


def test_stays_in_two_counties_in_date_order_and_the_path_from_the_hukou_county(users, mover):
    # when: the officer of 锦江区 opens the person
    traj = trajectory(user=users[Role.COUNTY_OFFICER], person=mover)
    # then: both places, oldest first, from the hukou county
    assert [(p.kind, p.code) for p in traj.places] == [(Kind.STAY, JINJIANG), (Kind.STAY, WUHOU)]
    assert traj.hukou_name == "四川省南充市南部县"
    assert [n.code for n in traj.nodes] == ["511321", JINJIANG, WUHOU]
    assert [(m.on, m.level) for m in traj.moves] == [
        (dt.date(2024, 3, 1), "prefecture"),
        (dt.date(2025, 1, 12), "county"),
    ]
    assert traj.places[0].name == "四川省成都市锦江区督院街街道东御河沿社区"
    assert traj.places[1].end is None


def test_a_stay_outside_the_jurisdiction_shows_its_place_and_dates_but_no_address(users, mover):
    traj = trajectory(user=users[Role.COUNTY_OFFICER], person=mover)
    inside, outside = traj.places
    assert inside.in_scope and inside.address == JINJIANG_ADDRESS
    assert not outside.in_scope and outside.address == "" and outside.house == ""
    assert outside.name.endswith("武侯区浆洗街街道锦里社区") and outside.start == dt.date(2025, 1, 12)
    # and the page says the same
    page = login(users[Role.COUNTY_OFFICER]).get(f"/registry/people/{mover.pk}/").content.decode()
    assert 'data-testid="trajectory"' in page and "锦里社区" in page
    assert JINJIANG_ADDRESS in page and WUHOU_ADDRESS not in page


def test_a_stay_at_another_instance_is_named_with_the_peer(users, mover):
    peer = Peer.objects.create(
        code="CN-50", name="重庆市流管平台", url="https://cq.example", public_key="x", areas="50"
    )
    RemoteStay.objects.create(
        person=mover,
        peer=peer,
        remote_ref="stay:9",
        destination_code="500101001001",
        destination_name="重庆市万州区高笋塘街道太白社区",
        arrived_on=dt.date(2025, 6, 1),
    )
    traj = trajectory(user=users[Role.COUNTY_OFFICER], person=mover)
    remote = traj.places[-1]
    assert remote.kind == Kind.REMOTE and remote.name == "重庆市万州区高笋塘街道太白社区"
    assert "重庆市流管平台" in remote.source and not remote.in_scope
    assert traj.moves[-1].level == "province" and traj.moves[-1].on == dt.date(2025, 6, 1)


@pytest.fixture
def left_for_shenzhen(divisions):
    """Hukou in 锦江区; the family says he went to 深圳市南山区; no destination has confirmed it."""
    person = _person("钱七", "510104", "459", "qianqi")
    OutflowRecord.objects.create(
        person=person,
        origin_id=JINJIANG,
        destination_code="440305",
        left_on=dt.date(2025, 2, 20),
        reason="work",
        reported_by="family",
        last_heard_on=dt.date(2025, 2, 20),
    )
    return person


def test_the_origins_unconfirmed_destination_is_shown_as_reported_not_confirmed(users, left_for_shenzhen):
    traj = trajectory(user=users[Role.COUNTY_OFFICER], person=left_for_shenzhen)
    (reported,) = traj.places
    assert reported.kind == Kind.REPORTED and reported.name == "广东省深圳市南山区" and reported.end is None
    assert reported.source == gettext("Reported by %(reporter)s, not confirmed") % {"reporter": gettext("Family")}
    assert [(m.source.code, m.target.code, m.level) for m in traj.moves] == [("510104", "440305", "province")]


def test_a_confirmed_record_adds_no_reported_place(users, left_for_shenzhen):
    OutflowRecord.objects.filter(person=left_for_shenzhen).update(status=OutflowRecord.Status.CONFIRMED)
    assert trajectory(user=users[Role.COUNTY_OFFICER], person=left_for_shenzhen).places == []


def test_the_reported_destination_is_the_origins_and_a_destination_officer_does_not_see_it(users, divisions):
    # given: someone of 锦江区 with a stay in 涪城区 and an origin record naming Shenzhen (a later report)
    person = _person("孙八", "510104", "571", "sunba")
    _stay(person, FUCHENG, dt.date(2024, 1, 5), dt.date(2024, 12, 1))
    OutflowRecord.objects.create(
        person=person,
        origin_id=JINJIANG,
        destination_code="440305",
        left_on=dt.date(2024, 12, 1),
        reason="work",
        reported_by="village",
        last_heard_on=dt.date(2024, 12, 1),
    )
    fucheng = users[Role.CITY_OFFICER]
    fucheng.division_id = "5107"
    assert [p.kind for p in trajectory(user=users[Role.COUNTY_OFFICER], person=person).places] == [
        Kind.STAY,
        Kind.REPORTED,
    ]
    assert [p.kind for p in trajectory(user=fucheng, person=person).places] == [Kind.STAY]


def test_someone_outside_the_jurisdiction_has_no_trajectory(users, person_far):
    with pytest.raises(NotFound):
        trajectory(user=users[Role.PROVINCE_ADMIN], person=person_far)


@pytest.mark.parametrize(
    ("source", "target", "level"),
    [
        ("511321", "510104001001", "prefecture"),
        ("510104001001", "510107001001", "county"),
        ("510104001001", "510104002001", "township"),
        ("510104001001", "510104001002", "community"),
        ("510104", "510104001001", "within_county"),
        ("510104001001", "440305", "province"),
        ("510104001001", "", "unknown"),
    ],
)
def test_the_level_of_a_move_is_the_broadest_level_that_changes(source, target, level):
    assert move_level(source, target) == level


def test_the_timeline_has_a_lane_per_place_in_order_and_open_stays_run_to_today(users, mover):
    traj = trajectory(user=users[Role.COUNTY_OFFICER], person=mover)
    drawn = timeline(traj)
    first, second = drawn["lanes"]
    assert first.label.endswith("东御河沿社区") and second.label.endswith("锦里社区")
    (a,), (b,) = first.bars, second.bars
    assert 0 <= a.left < a.left + a.width <= b.left
    assert b.left + b.width == pytest.approx(drawn["today"], abs=0.02)
    # ticks on calendar boundaries (every 1, 2, 3, 6 or 12 months), at most six of them
    labels = [tick.label for tick in drawn["ticks"]]
    assert 2 <= len(labels) <= 6 and labels == sorted(labels)
    assert all(label[5:] in ("", "01", "04", "07", "10") for label in labels), labels
    assert [t.left for t in drawn["ticks"]] == sorted(t.left for t in drawn["ticks"]) and drawn["ticks"][0].left > 0


def test_the_panel_is_hidden_from_roles_without_trajectory_view(users, mover):
    assert trajectory_panel(user=users[Role.DEPARTMENT_USER], person=mover) is None
    assert trajectory_panel(user=users[Role.COUNTY_OFFICER], person=mover)["trajectory"].places


def test_the_api_gives_the_same_places_and_path_and_404_outside(users, mover, person_far, token_for):
    client = api_client(token_for(users[Role.COUNTY_OFFICER]))
    body = client.get(f"/api/outflow/people/{mover.pk}/trajectory").json()
    assert [p["code"] for p in body["places"]] == [JINJIANG, WUHOU]
    assert [p["address"] for p in body["places"]] == [JINJIANG_ADDRESS, None]
    assert [n["code"] for n in body["path"]] == ["511321", JINJIANG, WUHOU]
    assert [m["level"] for m in body["moves"]] == ["prefecture", "county"]
    assert client.get(f"/api/outflow/people/{person_far.pk}/trajectory").status_code == 404
    refused = api_client(token_for(users[Role.DEPARTMENT_USER])).get(f"/api/outflow/people/{mover.pk}/trajectory")
    assert refused.status_code == 403
