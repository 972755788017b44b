"""Residence-permit pages: applications, notices, decisions, permits and their life (the workflow)."""

from django.urls import path

from . import views_work as views

urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.application_index, name="application_list"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path("applications/<int:application_id>/notice/", views.application_notice, name="application_notice"),
    path("applications/<int:application_id>/complete/", views.application_complete_view, name="application_complete"),
    path("applications/<int:application_id>/decide/", views.application_decide_view, name="application_decide"),
    path("applications/<int:application_id>/extend/", views.application_extend_view, name="application_extend"),
    path("applications/<int:application_id>/issue/", views.application_issue_view, name="application_issue"),
    path("issued/", views.permit_index, name="permit_list"),
    path("endorsements/", views.permit_endorsements, name="endorsements_due"),
    path("<int:permit_id>/", views.permit_detail, name="permit_detail"),
    path("<int:permit_id>/print/", views.permit_print_view, name="permit_print"),
    path("<int:permit_id>/handover/", views.permit_handover_view, name="permit_handover"),
    path("<int:permit_id>/endorse/", views.permit_endorse_view, name="permit_endorse"),
    path("<int:permit_id>/upgrade/", views.permit_upgrade_view, name="permit_upgrade"),
    path("<int:permit_id>/revoke/", views.permit_revoke_view, name="permit_revoke"),
    path("<int:permit_id>/replace/", views.permit_replace_view, name="permit_replace"),
]
