"""Pages of trajectories and flows (the person page's trajectory panel is part of the registry's page)."""

from django.urls import path

from . import views_flows

app_name = "outflow_flows"

urlpatterns = [
    path("flows/", views_flows.flows, name="flows"),
    path("flows/export.xlsx", views_flows.flows_export, name="flows_export"),
]
