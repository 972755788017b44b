"""Residence-permit pages: a person's rights, settlement check and marriage-and-childbearing certificates."""

from django.urls import path

from . import views_rights

urlpatterns: list = [
    path("rights/<int:person_id>/", views_rights.rights_page, name="rights"),
    path("rights/<int:person_id>/panel/", views_rights.rights_panel, name="rights_panel"),
    path("rights/<int:person_id>/certificates/", views_rights.certificate_new, name="certificate_new"),
]
