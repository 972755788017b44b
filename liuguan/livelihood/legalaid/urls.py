"""Legal aid pages under /livelihood/legalaid/."""

from django.urls import path

from . import views

app_name = "legalaid"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.request_new, name="new"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/act/<str:action>/", views.request_act, name="act"),
    path("units/", views.units, name="units"),
    path("units/new/", views.unit_new, name="unit_new"),
]
