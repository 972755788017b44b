"""Grid management (网格化) pages under /grid/: events, reporting, supervision, grids, the reporter's survey."""

from django.urls import path

from . import views

app_name = "grid"

urlpatterns = [
    path("", views.events, name="events"),
    path("report/", views.report, name="report"),
    path("today/", views.today, name="today"),
    path("today/verify/<int:stay_id>/", views.today_verify, name="today_verify"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/act/<str:action>/", views.event_act, name="event_act"),
    path("events/<int:event_id>/joint/", views.joint_new, name="joint_new"),
    path("parts/<int:part_id>/act/<str:action>/", views.part_act, name="part_act"),
    path("plans/", views.plans, name="plans"),
    path("supervision/", views.supervision, name="supervision"),
    path("grids/", views.grids, name="grids"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("<str:code>/", views.grid_detail, name="grid"),
]
