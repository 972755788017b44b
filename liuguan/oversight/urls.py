"""Municipal management (市级管理) pages under /oversight/: scorecards, spot checks and feedback, omissions, sweeps."""

from django.urls import include, path

app_name = "oversight"

urlpatterns = [
    path("", include("liuguan.oversight.urls_scorecard")),
    path("", include("liuguan.oversight.urls_checks")),
    path("", include("liuguan.oversight.urls_omission")),
    path("", include("liuguan.oversight.urls_sweeps")),
]
