"""Pages of municipal management: the omission estimate and the candidate omissions."""

from django.urls import path

from . import views_omission as views

urlpatterns = [
    path("omissions/", views.omissions, name="omissions"),
    path("omissions/candidates/", views.omission_candidates, name="omission_candidates"),
    path("omissions/candidates.csv", views.omission_candidates_csv, name="omission_candidates_csv"),
]
