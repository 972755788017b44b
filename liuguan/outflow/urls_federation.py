from django.urls import path

from . import views_federation as views

app_name = "federation"
# The inbox peers deliver to, and the administration of the federation (see views_federation.py).
urlpatterns = [
    path("inbox", views.inbox, name="inbox"),
    path("", views.index, name="index"),
    path("peers/new/", views.peer_new, name="peer_new"),
    path("peers/<str:code>/", views.peer_edit, name="peer_edit"),
    path("peers/<str:code>/off/", views.peer_off, name="peer_off"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:message_id>/retry/", views.outbox_resend, name="outbox_retry"),
    path("received/", views.received, name="received"),
    path("refusals/", views.refusals, name="refusals"),
]
