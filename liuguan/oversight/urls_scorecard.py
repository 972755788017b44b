"""Pages of municipal management: the landing page and the scorecard."""

from django.urls import path

from . import views_scorecard as views

urlpatterns = [
    path("", views.index, name="index"),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("scorecard/export.xlsx", views.scorecard_export, name="scorecard_export"),
]
