from django.urls import path

from . import views

app_name = "compliance"
# Tenancy filings, duty holders' own pages and reports, disagreements (see views.py).
urlpatterns = [
    path("", views.index, name="index"),
    path("duties/", views.duties, name="duties"),
    path("duties/departure/", views.duties_departure, name="duties_departure"),
    path("tenancies/", views.filing_list, name="filing_list"),
    path("tenancies/new/", views.filing_new, name="filing_new"),
    path("tenancies/<int:filing_id>/", views.filing_detail, name="filing_detail"),
    path("tenancies/<int:filing_id>/end/", views.filing_end, name="filing_end"),
    path("houses/follow-up/", views.follow_up, name="follow_up"),
    path("disagreements/", views.disagreements, name="disagreements"),
    path("disagreements/<int:disagreement_id>/resolve/", views.disagreement_resolve, name="disagreement_resolve"),
    path("reports/", views.reports, name="reports"),
    path("holders/new/", views.holder_new, name="holder_new"),
]
