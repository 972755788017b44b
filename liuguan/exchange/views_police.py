"""Police pages: bulletins with their hits (the issuing unit works them), and offence notices sent and received."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page
from liuguan.outflow.services.notices import ForwardedNotice
from liuguan.registry.access import access_person_by_id

from . import selectors_police
from .forms_police import BulletinForm, HitWorkForm, OffenceForm
from .models import BulletinHit
from .services import police


def _apply_problems(form, problems):
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


@page("bulletin.view")
def bulletin_index(request):
    form = None
    if request.user.can("bulletin.issue"):
        form = BulletinForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                bulletin = police.bulletin_issue(actor=request.user, bulletin=police.BulletinInput(**d))
            except InvalidInput as exc:
                _apply_problems(form, exc.problems)
            else:
                messages.success(
                    request,
                    _("Bulletin %(number)s issued; %(hits)d current stays match it")
                    % {"number": bulletin.number, "hits": bulletin.hits.count()},
                )
                return redirect("police:bulletin", bulletin.pk)
    bulletins = selectors_police.bulletin_list(user=request.user)[:200]
    return render(request, "exchange/bulletin_index.html", {"form": form, "bulletins": bulletins})


@page("bulletin.view")
def bulletin_detail(request, bulletin_id):
    bulletin = selectors_police.bulletin_get(user=request.user, bulletin_id=bulletin_id)
    if bulletin is None:
        raise Http404
    hits = selectors_police.bulletin_hits(user=request.user, bulletin_id=bulletin.pk)
    return render(
        request,
        "exchange/bulletin_detail.html",
        {"bulletin": bulletin, "hits": hits, "work_form": HitWorkForm()},
    )


@page("bulletin.issue")
@require_POST
def bulletin_withdraw(request, bulletin_id):
    try:
        police.bulletin_withdraw(actor=request.user, bulletin_id=bulletin_id, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404 from exc
    except InvalidInput as exc:
        messages.error(request, str(exc.problems[0].message))
    else:
        messages.success(request, _("Bulletin withdrawn; it is matched no more"))
    return redirect("police:bulletin", bulletin_id)


@page("bulletin.view")
def hit_index(request):
    status = request.GET.get("status", BulletinHit.Status.NEW)
    status = status if status in BulletinHit.Status.values else ""
    hits = selectors_police.bulletin_hits(user=request.user, status=status)[:500]
    return render(
        request,
        "exchange/bulletin_hits.html",
        {"hits": hits, "status": status, "statuses": BulletinHit.Status.choices, "work_form": HitWorkForm()},
    )


@page("bulletin.view")
@require_POST
def hit_work(request, hit_id):
    form = HitWorkForm(request.POST)
    if form.is_valid():
        try:
            police.bulletin_hit_work(actor=request.user, hit_id=hit_id, **form.cleaned_data)
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            messages.error(request, "; ".join(str(p.message) for p in exc.problems))
        else:
            messages.success(request, _("Hit worked to a conclusion"))
    else:
        messages.error(request, _("Choose a conclusion and say what was found"))
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else "police:hits")


@page("offence.notify")
def offence_index(request):
    return render(
        request,
        "exchange/offence_index.html",
        {
            "inbox": selectors_police.offence_inbox(user=request.user)[:200],
            "sent": selectors_police.offence_sent(user=request.user)[:200],
        },
    )


@page("offence.notify")
def offence_new(request, person_id):
    try:
        person = access_person_by_id(request.user, person_id)
    except NotFound as exc:
        raise Http404 from exc
    form = OffenceForm(request.POST or None, initial={"person_id": person.pk})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            notice = police.offence_notice_send(
                actor=request.user, person_id=person.pk, offence=d["offence"], occurred_on=d["occurred_on"]
            )
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        else:
            if isinstance(notice, ForwardedNotice):
                text = _("Notice %(number)s sent to %(peer)s, the instance that serves the person's hukou area") % {
                    "number": notice.reference,
                    "peer": notice.peer_name,
                }
            else:
                text = _("Notice %(number)s sent to the police of %(area)s") % {
                    "number": notice.number,
                    "area": notice.hukou_area.name,
                }
            messages.success(request, text)
            return redirect("police:offences")
    return render(request, "exchange/offence_new.html", {"form": form, "person": person})


@page("offence.notify")
@require_POST
def offence_acknowledge(request, notice_id):
    try:
        police.offence_notice_acknowledge(actor=request.user, notice_id=notice_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Notice acknowledged"))
    return redirect("police:offences")
