"""Pages of municipal management: verification sweeps (集中清理)."""

from django.urls import path

from . import views_sweeps as views

urlpatterns = [
    path("sweeps/", views.sweeps, name="sweeps"),
    path("sweeps/new/", views.sweep_new, name="sweep_new"),
    path("sweeps/<int:sweep_id>/", views.sweep, name="sweep"),
    path("sweeps/<int:sweep_id>/assign/", views.sweep_assign, name="sweep_assign"),
    path("sweeps/<int:sweep_id>/close/", views.sweep_close, name="sweep_close"),
    path("sweeps/<int:sweep_id>/report/", views.sweep_report, name="sweep_report"),
    path("sweeps/tasks/", views.sweep_tasks_mine, name="sweep_tasks_mine"),
    path("sweeps/tasks/<int:task_id>/", views.sweep_task, name="sweep_task"),
]
