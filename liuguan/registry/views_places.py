"""Pages for houses, employers and lodgings: lists inside scope, registration forms, a house's residents."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuguan.core.errors import Conflict, InvalidInput
from liuguan.core.permissions import page

from . import services
from .forms import EmployerForm, HouseForm, LodgingForm
from .models import Employer, House, Lodging
from .selectors import employer_list, house_list, house_residents, lodging_list, place_get

KINDS = {
    "houses": (House, HouseForm, services.house_register, house_list, gettext_lazy("Houses")),
    "employers": (Employer, EmployerForm, services.employer_register, employer_list, gettext_lazy("Employers")),
    "lodgings": (Lodging, LodgingForm, services.lodging_register, lodging_list, gettext_lazy("Lodgings")),
}


def _kind(kind):
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


@page("place.view")
def place_list(request, kind):
    _model, _form, _service, lister, title = _kind(kind)
    community = request.GET.get("community", "")
    return render(
        request,
        "registry/places.html",
        {
            "kind": kind,
            "title": title,
            "items": lister(user=request.user, community_code=community),
            "community": community,
        },
    )


@page("place.register")
def place_new(request, kind):
    model, form_class, service, _lister, title = _kind(kind)
    form = form_class(request.POST or None, user=request.user, initial={"community_code": request.GET.get("community")})
    if request.method == "POST" and form.is_valid():
        try:
            item = service(actor=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_error(p.field if p.field in form.fields else None, str(p.message))
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Registered."))
            if kind == "houses":
                return redirect("registry:house_detail", house_id=item.pk)
            return redirect("registry:place_list", kind=kind)
    return render(request, "registry/place_form.html", {"form": form, "kind": kind, "title": title})


@page("place.view")
def house_detail(request, house_id):
    house = place_get(user=request.user, model=House, pk=house_id)
    if house is None:
        raise Http404
    residents = house_residents(user=request.user, house=house)
    return render(request, "registry/house.html", {"house": house, "residents": residents})
