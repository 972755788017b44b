"""Open311 GeoReport v2 under /open311/v2/; the format is part of the path, as the spec writes it."""

from django.urls import re_path

from . import views_open311 as views

app_name = "open311"

urlpatterns = [
    re_path(r"^services\.(?P<fmt>[a-z]+)$", views.services, name="services"),
    re_path(r"^services/(?P<code>[\w-]+)\.(?P<fmt>[a-z]+)$", views.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>[a-z]+)$", views.requests_, name="requests"),
    re_path(r"^requests/(?P<request_id>[\w-]+)\.(?P<fmt>[a-z]+)$", views.request_one, name="request"),
]
