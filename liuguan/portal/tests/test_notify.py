from liuguan.core.models import AuditEvent
from liuguan.portal.models import PortalNotification
from liuguan.portal.services import notifications_mark_read, notify


def test_notify_stores_the_message_for_the_person_and_audits_it(person_in):
    note = notify(person=person_in, title="已受理", body="您的申请已受理", link="/portal/requests/")

    assert PortalNotification.objects.get(pk=note.pk).person == person_in
    event = AuditEvent.objects.get(action="portal.notify", object_id=str(note.pk))
    assert event.actor_username == "system"


def test_mark_read_touches_only_the_migrants_own_notifications(migrant, other_migrant, person_in, person_out):
    mine = notify(person=person_in, title="a")
    theirs = notify(person=person_out, title="b")

    assert notifications_mark_read(actor=migrant, notification_ids=[mine.pk, theirs.pk]) == 1

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
