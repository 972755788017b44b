"""The department's webhook page: its subscriptions with what was delivered, what waits and what failed, a form
to subscribe (the signing secret is shown once, on the answer to that form) and a button to stop one.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.permissions import page

from .selectors import dataset_list
from .selectors_feeds import subscribable_subsystems, subscription_statuses
from .services import webhooks


class SubscriptionForm(forms.Form):
    subsystem = forms.ChoiceField(label=gettext_lazy("Subsystem"))
    dataset = forms.ChoiceField(label=gettext_lazy("Dataset"))
    url = forms.CharField(label=gettext_lazy("Receiver URL"), max_length=400)

    def __init__(self, *args, subsystems, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subsystem"].choices = [(s.pk, f"{s.code} · {s.name}") for s in subsystems]
        self.fields["dataset"].choices = [(d.code, f"{d.code} · {d.name}") for d in datasets]


def _form(user, data=None):
    return SubscriptionForm(data, subsystems=subscribable_subsystems(user), datasets=dataset_list())


def _render(request, form, *, created=None, secret=None, status=200):
    context = {"statuses": subscription_statuses(request.user), "form": form, "created": created, "secret": secret}
    return render(request, "exchange/webhook_list.html", context, status=status)


@page("exchange.use")
def subscriptions(request):
    if request.method != "POST":
        return _render(request, _form(request.user))
    form = _form(request.user, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            created, secret = webhooks.subscription_create(
                actor=request.user, subsystem_id=int(d["subsystem"]), dataset=d["dataset"], url=d["url"]
            )
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_error(p.field if p.field in form.fields else None, str(p.message))
        except PermissionDenied:
            form.add_error("dataset", _("The subsystem has no grant in force with webhook deliveries for this dataset"))
        except NotFound:
            form.add_error("subsystem", _("Not a subsystem of your department"))
        else:
            return _render(request, _form(request.user), created=created, secret=secret)
    return _render(request, form, status=422)


@require_POST
@page("exchange.use")
def subscription_deactivate(request, subscription_id: int):
    try:
        webhooks.subscription_deactivate(actor=request.user, subscription_id=subscription_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("The subscription is stopped; nothing more is sent to it."))
    return redirect("feeds:subscriptions")
