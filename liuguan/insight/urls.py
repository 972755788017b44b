"""Pages of macro decision (宏观决策), mounted at /insight/."""

from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/request", views.report_request_page, name="report_request"),
    path("reports/<int:report_id>.<str:kind>", views.report_download, name="report_download"),
]
