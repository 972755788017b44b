"""The top navigation: the report's six systems, in the order Chengdu's platform showed them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

SYSTEMS = [
    ("insight", _("Macro decision"), "core:system"),
    ("oversight", _("Municipal management"), "core:system"),
    ("exchange", _("Department exchange"), "core:system"),
    ("outflow", _("Outflow population"), "core:system"),
    ("collection", _("Municipal collection"), "core:system"),
    ("registry", _("District management"), "registry:person_search"),
]


def navigation(request):
    """Six systems for signed-in staff; each links to its working page or to what it will hold."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"systems": [], "can": {}}
    from liuguan.accounts.roles import PERMISSIONS

    can = {perm.replace(".", "_"): user.can(perm) for perm in PERMISSIONS}
    items = []
    for key, label, url_name in SYSTEMS:
        url = reverse(url_name, args=[key]) if url_name == "core:system" else reverse(url_name)
        items.append({"key": key, "label": label, "url": url})
    return {"systems": items, "can": can}
