"""Pages of open data (the lead mounts them, e.g. at /insight/open-data/)."""

from django.urls import path

from . import views_opendata

app_name = "insight_opendata"

urlpatterns = [
    path("", views_opendata.thresholds_page, name="thresholds"),
    path("<str:prefix>/remove/", views_opendata.threshold_remove, name="threshold_remove"),
]
