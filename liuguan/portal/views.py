"""Pages of the migrant portal under /portal/ (phone first), and the station's review of stay declarations.

Every portal page reads through selectors that take the signed-in migrant's own person or account; no page takes
the id of another person's record, so guessing ids reaches nothing.
"""

import functools

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.permissions import ATTR, page, public

from . import selectors, services
from .forms import (
    AcceptForm,
    CodeForm,
    DeclarationForm,
    GridReportForm,
    LegalAidForm,
    PermitApplyForm,
    PhoneForm,
    RejectForm,
    SchoolApplyForm,
)
from .signin import CodeRateLimited, otp_request, otp_verify, portal_setting

PORTAL = "portal.use"


def portal_page(view):
    """A portal page: anonymous visitors go to the sign-in page, staff accounts are refused."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('portal:signin')}?next={request.path}")
        if not user.can(PORTAL):
            from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    setattr(wrapped, ATTR, PORTAL)
    return wrapped


def _errors(form, exc: InvalidInput, aliases: dict | None = None) -> None:
    for problem in exc.problems:
        name = (aliases or {}).get(problem.field, problem.field)
        form.add_error(name if name in form.fields else None, str(problem.message))


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")[:45]


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith("/portal/") else reverse("portal:home")


# -- sign-in -----------------------------------------------------------------------------------------------------


@public
def signin(request):
    """Step one: the mobile number; a code is sent. Step two: the code; the migrant is signed in."""
    if request.user.is_authenticated and request.user.can(PORTAL):
        return redirect("portal:home")
    phone_form, code_form = PhoneForm(), None
    if request.method == "POST" and "code" not in request.POST:
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"]
            try:
                otp_request(phone=phone, client_address=_client_address(request))
            except InvalidInput as exc:
                _errors(phone_form, exc)
            except CodeRateLimited as exc:
                phone_form.add_error(None, str(exc))
                code_form = CodeForm(initial={"phone": phone})
            else:
                messages.info(request, _("A code was sent to %(phone)s.") % {"phone": phone})
                code_form = CodeForm(initial={"phone": phone})
    elif request.method == "POST":
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                account = otp_verify(phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"])
            except InvalidInput as exc:
                _errors(code_form, exc)
            else:
                login(request, account, backend="django.contrib.auth.backends.ModelBackend")
                request.session.set_expiry(portal_setting("session_idle_seconds"))
                return redirect(_safe_next(request))
    return render(
        request,
        "portal/signin.html",
        {"phone_form": phone_form, "code_form": code_form, "next": request.GET.get("next", "")},
    )


@public
@require_POST
def signout(request):
    logout(request)
    return redirect("portal:signin")


# -- the migrant's pages -------------------------------------------------------------------------------------------


@portal_page
def home(request):
    person = request.user.person
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "stays": selectors.open_stays(person=person),
            "notifications": selectors.notifications(person=person, limit=5),
            "unread": selectors.unread_count(person=person),
            "has_school": selectors._optional("liuguan.livelihood.schooling.services") is not None,
            "has_legal_aid": selectors._optional("liuguan.livelihood.legalaid.services") is not None,
        },
    )


@portal_page
def declare(request):
    """Declare one's own stay; the community's station reviews it."""
    user = request.user
    county = request.GET.get("county") or selectors.current_community_code(person=user.person, account=user)[:6]
    # A province has tens of thousands of communities: the list is one county's, chosen first.
    communities = selectors.communities_with_station(county_code=county) if county else []
    form = DeclarationForm(request.POST or None, communities=communities, identity=user.person_id is None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.declaration_submit(
                actor=user,
                community_code=d["community"],
                address=d["address"],
                arrived_on=d["arrived_on"],
                reason=d["reason"],
                doc_number=d.get("doc_number", ""),
                name=d.get("name", ""),
                sex=d.get("sex", ""),
                hukou_address=d.get("hukou_address", ""),
            )
        except InvalidInput as exc:
            _errors(form, exc, {"community_code": "community"})
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Your declaration was sent to the station for review."))
            return redirect("portal:requests")
    return render(
        request,
        "portal/declare.html",
        {"form": form, "counties": selectors.counties_with_stations(), "county": county},
    )


@portal_page
def permit(request):
    """The migrant's permits and applications, their rights and why, and a new application."""
    from liuguan.permits.services.applications import application_submit_own

    person = request.user.person
    choices = selectors.permit_choices(person=person) if person is not None else {"stays": []}
    form = PermitApplyForm(request.POST or None, choices=choices)
    if request.method == "POST" and person is not None and form.is_valid():
        d = form.cleaned_data
        try:
            application = application_submit_own(
                actor=request.user, stay_id=int(d["stay"]), permit_kind=d["permit_kind"], condition=d["condition"]
            )
        except InvalidInput as exc:
            _errors(form, exc, {"stay_id": "stay"})
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Application %(number)s was received.") % {"number": application.number})
            return redirect("portal:requests")
    return render(
        request,
        "portal/permit.html",
        {
            "person": person,
            "form": form,
            "can_apply": bool(choices["stays"]),
            "permits": selectors.own_permits(person=person),
            "applications": selectors.own_applications(person=person),
            "labels": selectors.permit_kind_labels(),
            "rights": selectors.own_rights(person=person),
        },
    )


@portal_page
def school(request):
    """Apply for a school place for one's own child."""
    schooling = selectors._optional("liuguan.livelihood.schooling.services")
    if schooling is None:
        raise Http404
    from liuguan.livelihood.schooling.models import Level as SchoolLevel

    person = request.user.person
    children = selectors.children(person=person)
    form = SchoolApplyForm(request.POST or None, children=children, levels=_compulsory(SchoolLevel))
    if request.method == "POST" and form.is_valid():
        try:
            application = schooling.school_application_submit(
                actor=request.user,
                child_id=int(form.cleaned_data["child"]),
                level=form.cleaned_data["level"],
                channel="portal",
                source="portal",
            )
        except InvalidInput as exc:
            _errors(form, exc, {"child_id": "child"})
        except (Conflict, PermissionDenied, NotFound) as exc:
            form.add_error(None, str(getattr(exc, "message", "") or _("This child cannot be applied for here.")))
        else:
            number = getattr(application, "number", "") or application.pk
            messages.success(request, _("Application %(number)s was received.") % {"number": number})
            return redirect("portal:requests")
    return render(
        request,
        "portal/school.html",
        {"form": form, "children": children, "applications": selectors.own_school_applications(person=person)},
    )


def _compulsory(level_choices) -> list:
    wanted = [(v, label) for v, label in level_choices.choices if v in {"primary", "junior"}]
    return wanted or list(level_choices.choices)


@portal_page
def legal_aid(request):
    """Ask for legal aid; the request goes to the nearest centre or workstation."""
    legalaid = selectors._optional("liuguan.livelihood.legalaid.services")
    if legalaid is None or request.user.person_id is None:
        raise Http404
    from liuguan.livelihood.legalaid.models import RequestKind

    form = LegalAidForm(request.POST or None, kinds=RequestKind.choices)
    if request.method == "POST" and form.is_valid():
        try:
            aid = legalaid.legal_aid_request_open(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                phone=request.user.phone,
                channel="portal",
                source="portal",
            )
        except InvalidInput as exc:
            _errors(form, exc)
        except (Conflict, PermissionDenied) as exc:
            form.add_error(None, str(getattr(exc, "message", "") or exc))
        else:
            number = getattr(aid, "number", "") or aid.pk
            messages.success(request, _("Your request %(number)s was sent.") % {"number": number})
            return redirect("portal:requests")
    return render(
        request,
        "portal/legal_aid.html",
        {"form": form, "requests": selectors.own_legal_aid_requests(person=request.user.person)},
    )


@portal_page
def report(request):
    """Report a problem in one's community to the grid."""
    user = request.user
    near = selectors.current_community_code(person=user.person, account=user)
    communities = selectors.communities_with_station(county_code=near[:6])
    form = GridReportForm(
        request.POST or None,
        categories=selectors.grid_categories(),
        communities=communities,
        initial={"community": near},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            event = services.grid_problem_report(
                actor=user,
                category_code=d["category"],
                description=d["description"],
                community_code=d["community"],
                address=d["address"],
            )
        except InvalidInput as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Report %(number)s was sent.") % {"number": event.number})
            return redirect("portal:requests")
    return render(request, "portal/report.html", {"form": form})


@portal_page
def stations(request):
    """The nearest service stations, their hours and the hukou police officer's days."""
    user = request.user
    near = request.GET.get("community") or selectors.current_community_code(person=user.person, account=user)
    return render(
        request,
        "portal/stations.html",
        {"stations": selectors.stations_near(community_code=near), "near": near},
    )


@portal_page
def my_requests(request):
    """Everything the migrant asked, with its status now, and what they were told."""
    user = request.user
    rows = selectors.my_requests(account=user)
    notes = selectors.notifications(person=user.person)
    unread = [n.pk for n in notes if n.read_at is None]
    if unread:
        services.notifications_mark_read(actor=user, notification_ids=unread)
    return render(
        request,
        "portal/requests.html",
        {
            "rows": rows,
            "notifications": notes,
            "unread": set(unread),
            "grid_messages": selectors.grid_messages(account=user),
        },
    )


# -- the station's review ------------------------------------------------------------------------------------------


@page("portal.review")
def declarations(request):
    status = request.GET.get("status", "pending")
    rows = selectors.declaration_queue(user=request.user, status=status if status != "all" else "")
    return render(request, "portal/declarations.html", {"rows": rows, "status": status})


@page("portal.review")
def declaration(request, declaration_id: int):
    try:
        row = selectors.declaration_get(user=request.user, declaration_id=declaration_id)
    except NotFound as exc:
        raise Http404 from exc
    houses = selectors.houses_for(user=request.user, declaration=row)
    accept_form = AcceptForm(houses=houses)
    reject_form = RejectForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                accept_form = AcceptForm(request.POST, houses=houses)
                if accept_form.is_valid():
                    house = accept_form.cleaned_data["house"]
                    services.declaration_accept(
                        actor=request.user, declaration_id=row.pk, house_id=int(house) if house else None
                    )
                    messages.success(request, _("The stay is registered."))
                    return redirect("portal:declarations")
            elif action == "reject":
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    services.declaration_reject(
                        actor=request.user, declaration_id=row.pk, reason=reject_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The declaration was rejected."))
                    return redirect("portal:declarations")
        except InvalidInput as exc:
            messages.error(request, str(exc))
        except Conflict as exc:
            messages.error(request, str(exc.message))
    return render(
        request,
        "portal/declaration.html",
        {"row": row, "accept_form": accept_form, "reject_form": reject_form, "masked": selectors.declarant_masked(row)},
    )
