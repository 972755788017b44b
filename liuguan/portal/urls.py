"""The migrant portal under /portal/, and the station's queue of stay declarations."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("declare/", views.declare, name="declare"),
    path("permit/", views.permit, name="permit"),
    path("school/", views.school, name="school"),
    path("legal-aid/", views.legal_aid, name="legal_aid"),
    path("report/", views.report, name="report"),
    path("stations/", views.stations, name="stations"),
    path("requests/", views.my_requests, name="requests"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:declaration_id>/", views.declaration, name="declaration"),
]
