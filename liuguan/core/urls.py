from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("system/<slug:key>/", views.system, name="system"),
]
urlpatterns.append(path("audit/", views.audit, name="audit"))
