"""Health, work and training pages under /livelihood/welfare/."""

from django.urls import path

from . import views

app_name = "welfare"

urlpatterns = [
    path("", views.work, name="work"),
    path("trainings/new/", views.training_new, name="training_new"),
    path("trainings/<int:training_id>/", views.training_detail, name="training"),
    path("trainings/<int:training_id>/enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:enrolment_id>/<str:action>/", views.enrolment_act, name="enrolment_act"),
    path("seekers/<int:seeker_id>/<str:action>/", views.seeker_act, name="seeker_act"),
    path("people/<int:person_id>/seeker/", views.seeker_register, name="seeker_register"),
    path("people/<int:person_id>/<str:record>/", views.person_record, name="person_record"),
    path("filings/<int:filing_id>/decide/", views.filing_decide, name="filing_decide"),
]
