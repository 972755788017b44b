"""Liuguan's URLs: pages per app, one JSON API with its OpenAPI document, health and language switch."""

from django.urls import include, path

from liuguan.api import api
from liuguan.core import views as core_views

urlpatterns = [
    path("", include("liuguan.core.urls")),
    path("accounts/", include("liuguan.accounts.urls")),
    path("geo/", include("liuguan.geo.urls")),
    path("registry/", include("liuguan.registry.urls")),
    path("collection/", include("liuguan.collection.urls")),
    path("compliance/", include("liuguan.compliance.urls")),
    path("compliance/", include("liuguan.compliance.urls_agreements")),
    path("oversight/", include("liuguan.oversight.urls")),
    path("permits/", include("liuguan.permits.urls")),
    path("v/", include("liuguan.permits.urls_verify")),
    path("exchange/", include("liuguan.exchange.urls")),
    path("exchange/", include("liuguan.exchange.urls_police")),
    path("exchange/", include("liuguan.exchange.urls_feeds")),
    path("federation/", include("liuguan.outflow.urls_federation")),
    path("outflow/", include("liuguan.outflow.urls_trajectory")),
    path("outflow/", include("liuguan.outflow.urls")),
    path("grid/", include("liuguan.grid.urls")),
    path("open311/v2/", include("liuguan.grid.urls_open311")),
    path("portal/", include("liuguan.portal.urls")),
    path("livelihood/schooling/", include("liuguan.livelihood.schooling.urls")),
    path("livelihood/legalaid/", include("liuguan.livelihood.legalaid.urls")),
    path("livelihood/associations/", include("liuguan.livelihood.associations.urls")),
    path("livelihood/welfare/", include("liuguan.livelihood.welfare.urls")),
    path("insight/open-data/", include("liuguan.insight.urls_opendata")),
    path("insight/", include("liuguan.insight.urls")),
    path("linkage/", include("liuguan.linkage.urls")),
    path("api/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
]

# An unreachable database answers 503 with Retry-After instead of a server error (core/unavailable.py).
handler500 = "liuguan.core.unavailable.server_error"
