"""Residence-permit pages: the printable card."""

from django.urls import path

from . import views_doc

urlpatterns = [
    path("<int:permit_id>/card.pdf", views_doc.permit_pdf, name="permit_pdf"),
]
