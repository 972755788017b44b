"""The public verification page at /v/<token>: short, because the QR code on the card carries it."""

from django.urls import path

from . import views_doc

urlpatterns = [
    path("<str:token>", views_doc.permit_verify_page, name="permit_verify"),
]
