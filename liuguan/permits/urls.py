"""Residence permits (以证管人) under /permits/: applications and permits, documents, rights and certificates."""

from django.urls import include, path

app_name = "permits"

urlpatterns = [
    path("", include("liuguan.permits.urls_work")),
    path("", include("liuguan.permits.urls_doc")),
    path("", include("liuguan.permits.urls_rights")),
]
