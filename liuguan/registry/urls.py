from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("people/", views.search, name="person_search"),
    path("people/new/", views.register, name="person_register"),
    path("people/check-document/", views.check_document, name="check_document"),
    path("people/<int:person_id>/", views.detail, name="person_detail"),
    path("people/<int:person_id>/reveal/", views.reveal, name="person_reveal"),
    path("stays/<int:stay_id>/depart/", views.depart, name="stay_depart"),
]
