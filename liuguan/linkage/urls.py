from django.urls import path

from . import views

app_name = "linkage"

urlpatterns = [
    path("", views.runs, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("review/", views.queue, name="queue"),
    path("review/<int:pair_id>/", views.pair, name="pair"),
    path("review/<int:pair_id>/merge/", views.pair_merge, name="pair_merge"),
    path("review/<int:pair_id>/keep-apart/", views.pair_keep_apart, name="pair_keep_apart"),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:merge_id>/undo/", views.merge_undo, name="merge_undo"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
]
