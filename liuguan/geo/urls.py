from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.division_root, name="division_root"),
    path("<str:code>/", views.division, name="division"),
]
