"""Association pages under /livelihood/associations/."""

from django.urls import path

from . import views

app_name = "associations"

urlpatterns = [
    path("", views.associations, name="list"),
    path("register/", views.register, name="register"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task_done"),
    path("<int:association_id>/", views.detail, name="detail"),
]
