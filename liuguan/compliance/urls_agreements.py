"""Responsibility agreements, breaches, coverage, classification, foreigners (mounted at /compliance/)."""

from django.urls import path

from . import views_agreements as views

app_name = "agreements"
urlpatterns = [
    path("agreements/", views.agreement_index, name="agreement_list"),
    path("agreements/new/", views.agreement_new, name="agreement_new"),
    path("agreements/<int:agreement_id>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:agreement_id>/renew/", views.agreement_renew_view, name="agreement_renew"),
    path("agreements/<int:agreement_id>/terminate/", views.agreement_terminate_view, name="agreement_terminate"),
    path("breaches/", views.breach_index, name="breach_list"),
    path("breaches/new/", views.breach_new, name="breach_new"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("classification/", views.classification_page, name="classification"),
    path("foreigners/", views.foreigner_list, name="foreigner_list"),
]
