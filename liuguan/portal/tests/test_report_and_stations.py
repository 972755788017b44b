from liuguan.conftest import IN_COMMUNITY
from liuguan.grid.models import EventCategory, GridEvent, Source
from liuguan.portal.models import PoliceSitting


def test_a_migrant_reports_a_grid_problem_as_a_resident(migrant_client, migrant, station):
    category = EventCategory.objects.filter(active=True, public=True).order_by("code").first()
    page = migrant_client.get("/portal/report/").content.decode()
    assert 'data-testid="grid-report-form"' in page

    response = migrant_client.post(
        "/portal/report/", {"category": category.code, "community": IN_COMMUNITY, "description": "路灯坏了"}
    )

    assert response.status_code == 302, response.content.decode()
    event = GridEvent.objects.get()
    assert (event.source, event.reporter) == (Source.RESIDENT, migrant)
    assert [r["kind"] for r in migrant_client.get("/api/portal/requests").json()] == ["grid"]


def test_the_reporter_hears_of_the_grid_steps_in_the_portal(migrant_client, migrant, users, station):
    from liuguan.accounts.roles import Role
    from liuguan.grid.services.events import event_route
    from liuguan.portal.services import grid_problem_report

    category = EventCategory.objects.filter(active=True, public=True).order_by("code").first()
    event = grid_problem_report(
        actor=migrant, category_code=category.code, description="垃圾没人收", community_code=IN_COMMUNITY
    )

    event_route(actor=users[Role.STATION_OFFICER], event_id=event.pk)

    page = migrant_client.get("/portal/requests/").content.decode()
    assert 'data-testid="grid-message"' in page and event.number in page


def test_the_station_finder_lists_hours_and_the_police_officers_days(migrant_client, station):
    PoliceSitting.objects.create(office=station, weekday=2, hours="9:00-12:00", officer_name="王警官")

    page = migrant_client.get("/portal/stations/").content.decode()
    assert station.name in page and "王警官" in page and station.hours in page

    api = migrant_client.get("/api/portal/stations").json()
    assert api[0]["police_sittings"][0]["officer_name"] == "王警官"
