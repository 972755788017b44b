"""What a run's clusters mean for the offices: candidate omissions and candidate wrong records, as tasks.

- Candidate omission: a record from a landlord/employer/hotel report or a department (or school) whose cluster
  holds no person registered through a registration channel. One task per cluster, to the community where the
  record places the person.
- Candidate wrong record: a cluster holding two or more different valid document numbers of one type (one of
  them is probably mistyped with a recomputed check digit, or two people were mixed up), or a person whose
  number's embedded birth date or sex contradicts the recorded ones.

Tasks go to the station officer of the community (oversight's desk officer lookup), due in TASK_DAYS days; a
record with an open task of the same kind gets no second one. Officers close them when done or dismiss them.
"""

import datetime as dt
from collections import defaultdict

import pyarrow as pa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, NotFound, PermissionDenied
from liuguan.core.identity import china_today, mask_document_number
from liuguan.core.scoping import scoped
from liuguan.geo.models import Division

from ..models import LinkageRun, LinkageTask
from ..sources import RecordPlace, person_id_of

TASK_DAYS = 10
# Sources whose records, unlinked to any registered person, point at someone living here unregistered.
OMISSION_SOURCES = frozenset(
    {
        "compliance.dutyreport",
        "exchange.departmentfact",
        "welfare.medicalcover",
        "welfare.remotetreatmentfiling",
        "welfare.familyplanningservice",
        "welfare.jobseeker",
        "welfare.trainingenrolment",
        "schooling.schoolrecord",
        "schooling.schoolapplication",
    }
)


def _rows(std: pa.Table, clusters: pa.Table) -> dict[str, list[dict]]:
    """The standardised rows grouped by cluster."""
    columns = ["record_id", "source", "doc_type_std", "doc_std", "doc_valid", "doc_conflict", "name_std"]
    rows = std.select([c for c in columns if c in std.column_names]).to_pylist()
    cluster_of = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("cluster_id").to_pylist(), strict=True)
    )
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[cluster_of.get(row["record_id"], row["record_id"])].append(row)
    return grouped


def _finding(kind, record_id, place: RecordPlace, summary, detail) -> dict:
    return {"kind": kind, "record": record_id, "place": place, "summary": summary, "detail": detail}


def findings(std: pa.Table, clusters: pa.Table, places: dict[str, RecordPlace]) -> list[dict]:
    """Candidate omissions and wrong records in a run's clusters (before any task is opened)."""
    found = []
    for cluster_id, rows in _rows(std, clusters).items():
        in_places = [(row, places.get(row["record_id"])) for row in rows]
        registered = any(place and place.registered for _row, place in in_places)
        if not registered:
            reported = sorted(
                (row["record_id"], row, place)
                for row, place in in_places
                if place and place.community and row["source"] in OMISSION_SOURCES
            )
            if reported:
                record_id, row, place = reported[0]
                found.append(
                    _finding(
                        LinkageTask.Kind.OMISSION,
                        record_id,
                        place,
                        _("%(name)s is known from %(source)s but matches nobody registered")
                        % {"name": row["name_std"] or "?", "source": row["source"]},
                        {"cluster": cluster_id, "records": [r for r, _row, _p in reported]},
                    )
                )
        valid = defaultdict(set)
        for row in rows:
            if row.get("doc_valid") and row.get("doc_std"):
                valid[row.get("doc_type_std") or ""].add(row["doc_std"])
        conflicting = {t: sorted(n) for t, n in valid.items() if len(n) > 1}
        if conflicting:
            anchor = min(
                ((row, place) for row, place in in_places if place and place.community),
                key=lambda rp: (not rp[1].registered, rp[0]["record_id"]),
                default=None,
            )
            if anchor is not None:
                numbers = [mask_document_number(n) for ns in conflicting.values() for n in ns]
                found.append(
                    _finding(
                        LinkageTask.Kind.WRONG_RECORD,
                        f"cluster:{cluster_id}",
                        anchor[1],
                        _("One person under different valid document numbers: %(numbers)s")
                        % {"numbers": ", ".join(numbers)},
                        {"cluster": cluster_id, "records": sorted(r["record_id"] for r in rows), "numbers": numbers},
                    )
                )
        for row, place in in_places:
            if row.get("doc_conflict") and place and place.community and place.person_id:
                found.append(
                    _finding(
                        LinkageTask.Kind.WRONG_RECORD,
                        row["record_id"],
                        place,
                        _("The birth date or sex inside the document number contradicts the record"),
                        {"cluster": cluster_id},
                    )
                )
    return found


def tasks_from_run(*, run: LinkageRun, std: pa.Table, clusters: pa.Table, places: dict[str, RecordPlace]) -> int:
    """Open a task for each new finding in a known community; returns how many were opened. Call in a transaction."""
    from liuguan.oversight.services.feedback import station_officer, street_officer

    found = findings(std, clusters, places)
    if not found:
        return 0
    busy = set(LinkageTask.objects.filter(status=LinkageTask.Status.OPEN).values_list("kind", "record").iterator())
    known = set(Division.objects.filter(code__in={f["place"].community for f in found}).values_list("code", flat=True))
    due = china_today() + dt.timedelta(days=TASK_DAYS)
    officers: dict[str, object] = {}
    made = []
    for number, finding in enumerate(found, start=1):
        community = finding["place"].community
        if (finding["kind"], finding["record"]) in busy or community not in known:
            continue
        busy.add((finding["kind"], finding["record"]))
        if community not in officers:
            officers[community] = station_officer(community) or street_officer(community)
        person_id = finding["place"].person_id or person_id_of(finding["record"])
        made.append(
            LinkageTask(
                number=f"LK{run.pk:05d}-{number:06d}",
                kind=finding["kind"],
                community_id=community,
                run=run,
                record=finding["record"][:80],
                person_id=person_id,
                summary=str(finding["summary"])[:300],
                detail=finding["detail"],
                assignee=officers[community],
                due_on=due,
            )
        )
    LinkageTask.objects.bulk_create(made, batch_size=1000)
    return len(made)


@transaction.atomic
def task_close(*, actor, task_id: int, dismissed: bool = False, note: str = "", source: str = "web") -> LinkageTask:
    """The office has registered the person or corrected the record (done), or found nothing wrong (dismissed)."""
    if not actor.can("linkage.review"):
        raise PermissionDenied()
    task = scoped(LinkageTask.objects.select_for_update(), actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    if task.status != LinkageTask.Status.OPEN:
        raise Conflict(_("This task is already closed"), rule="linkage.task_closed")
    task.status = LinkageTask.Status.DISMISSED if dismissed else LinkageTask.Status.DONE
    task.resolved_by = actor
    task.resolved_at = timezone.now()
    task.note = " ".join((note or "").split())[:300]
    task.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    audit_record(
        actor=actor,
        action="linkage.task_closed",
        obj=task,
        division_code=task.community_id,
        source=source,
        changes={"status": task.status, "kind": task.kind, "record": task.record},
    )
    return task
