"""Outflow pages under /outflow/: the origin side's list per area with drill-down, a record's history and
actions, new records, reconciliation, the office's tasks; the destination side's expected arrivals; the
notices peers sent to the police of the hukou county.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today, mask_document_number, mask_name
from liuguan.core.permissions import page
from liuguan.geo.names import place_names
from liuguan.oversight.areas import area_in_scope, area_trail
from liuguan.registry.services import PersonInput

from . import selectors
from .forms import (
    CloseForm,
    QueryForm,
    RecordFilterForm,
    RecordNewForm,
    RecordUpdateForm,
    ReturnForm,
    TaskDoneForm,
    TaskFilterForm,
    TransferForm,
)
from .models import ExpectedArrival
from .services import notices, queries, records

PAGE_SIZE = 100


def _apply_problems(form, problems):
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


def _area(request, code):
    try:
        return area_in_scope(request.user, code)
    except NotFound as exc:
        raise Http404 from exc


@page("outflow.view")
def index(request):
    """Open outflow records per child area of the user's area (township → villages), with drill-down."""
    area = _area(request, request.GET.get("area"))
    counts = selectors.outflow_counts(user=request.user, area_code=area.code)
    total = {
        key: sum(getattr(row, key) for row in counts)
        for key in ("open", "unconfirmed", "confirmed", "departed", "unknown")
    }
    return render(
        request,
        "outflow/index.html",
        {
            "area": area,
            "trail": area_trail(request.user, area.code),
            "counts": counts,
            "total": total,
            "unknown_months": settings.LIUGUAN_OUTFLOW["unknown_months"],
        },
    )


def _filtered(request):
    form = RecordFilterForm(request.GET or None)
    data = form.data if form.is_bound else {}
    try:
        filters = selectors.filters_check(
            area=data.get("area", ""),
            status=data.get("status", ""),
            unknown_months=data.get("unknown_months"),
            destination=data.get("destination", ""),
            q=data.get("q", ""),
        )
        qs = selectors.outflow_records(user=request.user, filters=filters)
    except InvalidInput as exc:
        form.is_valid()
        _apply_problems(form, exc.problems)
        return form, None, None
    except NotFound as exc:
        raise Http404 from exc
    return form, filters, qs


@page("outflow.view")
def record_list(request):
    """The outflow list of an area with its filters; the CSV export gives the same masked rows."""
    form, filters, qs = _filtered(request)
    rows, page_obj = [], None
    if qs is not None:
        page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = selectors.record_rows(page_obj.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "outflow/list.html",
        {"form": form, "rows": rows, "page_obj": page_obj, "query": query.urlencode(), "filters": filters},
    )


@page("outflow.view")
def record_list_csv(request):
    form, filters, qs = _filtered(request)
    if qs is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="outflow-{stamp}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a byte order mark
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Name"),
            _("Document number"),
            _("Origin"),
            _("Destination"),
            _("Left on"),
            pgettext("outflow", "Reason"),
            _("Status"),
            _("Whereabouts last known"),
            _("Reported by the origin first"),
        ]
    )
    for start in range(0, 100_000, 1000):
        chunk = list(qs[start : start + 1000])
        if not chunk:
            break
        for row in selectors.record_rows(chunk):
            writer.writerow(
                [
                    row.name,
                    row.doc_number,
                    row.origin_name,
                    row.destination,
                    row.left_on.isoformat(),
                    row.reason,
                    row.status_label,
                    row.last_heard_on.isoformat(),
                    _("yes") if row.prior_record else _("no"),
                ]
            )
    return response


def _can_edit(user) -> bool:
    return user.can("outflow.record") or user.can("outflow.task")


@page("outflow.view")
def record_detail(request, record_id):
    try:
        shown = selectors.outflow_record_page(user=request.user, record_id=record_id)
    except NotFound as exc:
        raise Http404 from exc
    record = shown.record
    editable = _can_edit(request.user) and record.status in record.OPEN
    peer = selectors.query_peer_for(record) if request.user.can("federation.query") else None
    forms = {}
    if editable:
        forms = {
            "update": RecordUpdateForm(
                initial={
                    "destination_code": record.destination_code,
                    "destination_place": record.destination_place,
                    "destination_country": record.destination_country,
                    "reason": record.reason,
                    "phone": record.phone,
                    "contact_name": record.contact_name,
                    "contact_phone": record.contact_phone,
                }
            ),
            "return": ReturnForm(initial={"returned_on": china_today()}),
            "close": CloseForm(),
            "transfer": TransferForm(),
        }
    return render(
        request,
        "outflow/record.html",
        {
            "shown": shown,
            "record": record,
            "editable": editable,
            "forms": forms,
            "peer": peer,
            "query_form": QueryForm(initial={"peer_code": peer.code}) if peer else None,
        },
    )


def _record_action(request, record_id, form_class, call, done_message):
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except NotFound as exc:
            raise Http404 from exc
        except PermissionDenied as exc:
            raise Forbidden from exc
        except InvalidInput as exc:
            for p in exc.problems:
                messages.error(request, f"{p.message}")
        else:
            messages.success(request, done_message)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("outflow:record", record_id=record_id)


@page("outflow.view")
@require_POST
def record_update(request, record_id):
    def call(d):
        records.outflow_update(
            actor=request.user,
            record_id=record_id,
            destination_code=d["destination_code"],
            destination_place=d["destination_place"],
            destination_country=d["destination_country"],
            reason=d["reason"],
            phone=d["phone"],
            contact_name=d["contact_name"],
            contact_phone=d["contact_phone"],
            heard_on=d["heard_on"],
            note=d["note"],
        )

    return _record_action(request, record_id, RecordUpdateForm, call, _("Record updated"))


@page("outflow.view")
@require_POST
def record_return(request, record_id):
    def call(d):
        records.outflow_return(actor=request.user, record_id=record_id, returned_on=d["returned_on"], note=d["note"])

    return _record_action(request, record_id, ReturnForm, call, _("Recorded as returned home"))


@page("outflow.view")
@require_POST
def record_close(request, record_id):
    def call(d):
        records.outflow_close(actor=request.user, record_id=record_id, reason=d["reason"], note=d["note"])

    return _record_action(request, record_id, CloseForm, call, _("Record closed"))


@page("outflow.view")
@require_POST
def record_transfer(request, record_id):
    def call(d):
        records.outflow_transfer(
            actor=request.user, record_id=record_id, new_origin_code=d["new_origin_code"], note=d["note"]
        )

    return _record_action(request, record_id, TransferForm, call, _("Record moved to the new origin"))


@page("federation.query")
@require_POST
def record_query(request, record_id):
    """Ask the destination instance for the person's basic data (if its grant allows)."""
    try:
        record = selectors.outflow_record_get(user=request.user, record_id=record_id)
    except NotFound as exc:
        raise Http404 from exc

    def call(d):
        queries.person_query_send(
            actor=request.user,
            peer_code=d["peer_code"],
            doc_type=record.person.doc_type,
            doc_number=record.person.doc_number,
            purpose=d["purpose"],
        )

    return _record_action(request, record_id, QueryForm, call, _("Query sent; the answer appears here"))


@page("outflow.record")
def record_new(request):
    """Report someone gone: by document number; someone not on the register is registered from the form."""
    origins = selectors.origin_choices(request.user)
    form = RecordNewForm(request.POST or None, origins=origins, initial={"left_on": china_today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = selectors.person_by_document(user=request.user, doc_type=d["doc_type"], doc_number=d["doc_number"])
        try:
            record = records.outflow_report(
                actor=request.user,
                person_id=person.pk if person else None,
                person=None
                if person
                else PersonInput(
                    doc_type=d["doc_type"],
                    doc_number=d["doc_number"],
                    name=d["name"],
                    sex=d["sex"],
                    birth_date=d["birth_date"],
                    hukou_code=d["hukou_code"],
                ),
                origin_code=d["origin_code"],
                destination_code=d["destination_code"],
                destination_place=d["destination_place"],
                destination_country=d["destination_country"],
                left_on=d["left_on"],
                reason=d["reason"],
                phone=d["phone"],
                contact_name=d["contact_name"],
                contact_phone=d["contact_phone"],
                reported_by=d["reported_by"],
                reporter_note=d["reporter_note"],
            )
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Outflow record saved"))
            if request.user.can("outflow.view"):
                return redirect("outflow:record", record_id=record.pk)
            return redirect("outflow:record_new")
    return render(request, "outflow/record_new.html", {"form": form, "has_origins": bool(origins)})


@page("outflow.view")
def reconciliation(request):
    """Per origin area: records confirmed by a destination, never confirmed, and inflows with no record."""
    try:
        summary = selectors.reconciliation_summary(user=request.user, area_code=request.GET.get("area"))
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "outflow/reconciliation.html", {"summary": summary})


@page("outflow.view")
def tasks(request):
    """Every officer of the area sees its tasks (supervision); the desk and the county mark them done."""
    form = TaskFilterForm(request.GET or {"status": "open"})
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    qs = selectors.outflow_tasks(user=request.user, status=data.get("status", "open"), kind=data.get("kind", ""))
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.record_rows([t.record for t in page_obj.object_list])
    return render(
        request,
        "outflow/tasks.html",
        {
            "form": form,
            "items": list(zip(page_obj.object_list, rows, strict=True)),
            "page_obj": page_obj,
            "done_form": TaskDoneForm(),
            "can_do": request.user.can("outflow.task"),
            "today": china_today(),
        },
    )


@page("outflow.task")
@require_POST
def task_done(request, task_id):
    form = TaskDoneForm(request.POST)
    try:
        records.outflow_task_done(actor=request.user, task_id=task_id, note=form.data.get("note", ""))
    except NotFound as exc:
        raise Http404 from exc
    except InvalidInput as exc:
        for p in exc.problems:
            messages.error(request, p.message)
    else:
        messages.success(request, _("Task done"))
    return redirect("outflow:tasks")


@page("outflow.view")
def expected(request):
    """People origin instances told us to expect here, and whether they have registered."""
    status = request.GET.get("status", "expected")
    qs = selectors.expected_arrivals(user=request.user, status=status)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    places = place_names({e.expected_code for e in page_obj.object_list})
    items = [
        (e, mask_name(e.name), mask_document_number(e.doc_number), places.get(e.expected_code) or e.expected_code)
        for e in page_obj.object_list
    ]
    return render(
        request,
        "outflow/expected.html",
        {"page_obj": page_obj, "items": items, "status": status, "statuses": ExpectedArrival.Status.choices},
    )


@page("offence.notify")
def notices_page(request):
    """Offence notices and bulletin hits peers sent about people whose hukou is in the user's area."""
    status = request.GET.get("status", "")
    qs = selectors.inbound_notices(user=request.user, status=status)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(n, mask_name(n.name)) for n in page_obj.object_list]
    return render(request, "outflow/notices.html", {"page_obj": page_obj, "items": items, "status": status})


@page("offence.notify")
@require_POST
def notice_acknowledge(request, notice_id):
    try:
        notices.inbound_notice_acknowledge(actor=request.user, notice_id=notice_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Notice acknowledged"))
    return redirect("outflow:notices")
