"""Children's schooling pages under /livelihood/schooling/."""

from django.urls import path

from . import views

app_name = "schooling"

urlpatterns = [
    path("", views.figures, name="figures"),
    path("schools/", views.schools, name="schools"),
    path("schools/new/", views.school_new, name="school_new"),
    path("schools/<int:school_id>/", views.school_detail, name="school"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:application_id>/", views.application_detail, name="application"),
    path("applications/<int:application_id>/act/<str:action>/", views.application_act, name="application_act"),
]
