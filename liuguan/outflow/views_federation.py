"""The federation's door and its administration.

`POST /federation/inbox` is where peer instances deliver signed envelopes: public (the signature is the
authentication), without CSRF, and every answer is signed. The other pages are the province administrator's:
this instance's identity and key, the peers, the outbox, the inbox and the refusals.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.permissions import page, public

from . import keys
from . import selectors_federation as selectors
from .forms_federation import PeerForm
from .models import OutboxMessage
from .services.inbox import MAX_BODY_BYTES, answer_encode, envelope_receive, request_hash
from .services.outbox import inbox_url, outbox_retry
from .services.peers import peer_deactivate, peer_save

PERMISSION = "federation.admin"


def _signed(status: int, answer: dict) -> HttpResponse:
    body, signature = answer_encode(answer)
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    response[keys.SIGNATURE_HEADER] = signature
    return response


@public
@csrf_exempt
@require_POST
def inbox(request):
    """Receive one envelope from a peer; the answer is this instance's signed receipt or refusal."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = b"" if length > MAX_BODY_BYTES else request.read(MAX_BODY_BYTES + 1)
    if length > MAX_BODY_BYTES or len(body) > MAX_BODY_BYTES:
        answer = {"instance": keys.instance_id(), "status": "refused", "reason": "too_large"}
        return _signed(413, answer)
    answer_status, answer = envelope_receive(
        body=body,
        signature_header=request.headers.get(keys.SIGNATURE_HEADER, ""),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    answer.setdefault("request_hash", request_hash(body))
    return _signed(answer_status, answer)


def _apply_problems(form, problems):
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


@page(PERMISSION)
def index(request):
    """Identity, key and address of this instance, for the administrators of peers; the peers; the traffic."""
    base = settings.LIUGUAN_PUBLIC_URL or request.build_absolute_uri("/")
    context = {
        "instance": keys.instance_id(),
        "public_key": keys.public_key_b64(),
        "inbox_url": inbox_url(base),
        "peers": selectors.peer_list(),
        "counts": selectors.outbox_counts(),
        "refusals": selectors.refusal_count(),
    }
    return render(request, "outflow/federation.html", context)


def _peer_form_page(request, form, *, peer=None, status=200):
    return render(request, "outflow/federation_peer.html", {"form": form, "peer": peer}, status=status)


def _save(request, form, *, code: str):
    d = form.cleaned_data
    return peer_save(
        actor=request.user,
        code=code,
        name=d["name"],
        url=d["url"],
        public_key=d["public_key"],
        areas=d["areas"],
        grants=d["grants"],
        active=d["active"],
    )


@page(PERMISSION)
def peer_new(request):
    """Add a peer: its identity, address, public key and the areas it serves, as its administrator gave them."""
    form = PeerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            peer = _save(request, form, code=form.cleaned_data["code"])
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        else:
            messages.success(request, _("Peer %(code)s saved.") % {"code": peer.code})
            return redirect("federation:index")
    return _peer_form_page(request, form, status=422 if request.method == "POST" else 200)


@page(PERMISSION)
def peer_edit(request, code):
    try:
        peer = selectors.peer_get(code)
    except NotFound:
        raise Http404 from None
    initial = {
        "code": peer.code,
        "name": peer.name,
        "url": peer.url,
        "public_key": peer.public_key,
        "areas": peer.areas,
        "grants": peer.grants,
        "active": peer.active,
    }
    form = PeerForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, code=peer.code)
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        else:
            messages.success(request, _("Peer %(code)s saved.") % {"code": peer.code})
            return redirect("federation:index")
    return _peer_form_page(request, form, peer=peer, status=422 if request.method == "POST" else 200)


@page(PERMISSION)
@require_POST
def peer_off(request, code):
    """Switch a peer off: its messages are refused and nothing more is sent to it."""
    try:
        peer_deactivate(actor=request.user, code=code)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Peer %(code)s is switched off.") % {"code": code})
    return redirect("federation:index")


@page(PERMISSION)
def outbox(request):
    """Messages to peers by status; given-up and rejected ones can be sent again."""
    status = request.GET.get("status", "")
    status = status if status in OutboxMessage.Status.values else ""
    counts = selectors.outbox_counts()
    context = {
        "status": status,
        "statuses": [(value, label, counts[value]) for value, label in OutboxMessage.Status.choices],
        "rows": selectors.outbox_list(status=status),
        "can_retry": (OutboxMessage.Status.DEAD, OutboxMessage.Status.REJECTED),
    }
    return render(request, "outflow/federation_outbox.html", context)


@page(PERMISSION)
@require_POST
def outbox_resend(request, message_id):
    try:
        outbox_retry(actor=request.user, message_id=message_id)
    except NotFound:
        raise Http404 from None
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message is queued and goes with the next run (within a minute)."))
    return redirect("federation:outbox")


@page(PERMISSION)
def received(request):
    """The latest messages peers sent, applied or rejected, with repeated deliveries counted."""
    return render(request, "outflow/federation_inbox.html", {"rows": selectors.inbox_latest()})


@page(PERMISSION)
def refusals(request):
    """The latest envelopes refused at the door, with what they claimed to be and why."""
    return render(request, "outflow/federation_refusals.html", {"rows": selectors.refusals_latest()})
