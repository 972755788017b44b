from django.urls import path

from . import views, views_places

app_name = "registry"
urlpatterns = [
    path("people/", views.search, name="person_search"),
    path("people/new/", views.register, name="person_register"),
    path("people/check-document/", views.check_document, name="check_document"),
    path("people/<int:person_id>/", views.detail, name="person_detail"),
    path("people/<int:person_id>/reveal/", views.reveal, name="person_reveal"),
    path("stays/<int:stay_id>/depart/", views.depart, name="stay_depart"),
    path("stays/<int:stay_id>/change/", views.stay_change, name="stay_change"),
    path("people/<int:person_id>/same/", views.same_person, name="same_person"),
    path("people/<int:person_id>/stays/", views.stay_add, name="stay_add"),
    path("people/<int:person_id>/contact/", views.contact_update, name="contact_update"),
    path("houses/<int:house_id>/", views_places.house_detail, name="house_detail"),
    path("places/<slug:kind>/", views_places.place_list, name="place_list"),
    path("places/<slug:kind>/new/", views_places.place_new, name="place_new"),
]
