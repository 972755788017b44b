"""Outflow pages (流出人口) under /outflow/; trajectories and flows are in urls_trajectory.py, the federation's
administration and inbox in urls_federation.py.
"""

from django.urls import path

from . import views

app_name = "outflow"

urlpatterns = [
    path("", views.index, name="index"),
    path("records/", views.record_list, name="records"),
    path("records.csv", views.record_list_csv, name="records_csv"),
    path("records/new/", views.record_new, name="record_new"),
    path("records/<int:record_id>/", views.record_detail, name="record"),
    path("records/<int:record_id>/update/", views.record_update, name="record_update"),
    path("records/<int:record_id>/return/", views.record_return, name="record_return"),
    path("records/<int:record_id>/close/", views.record_close, name="record_close"),
    path("records/<int:record_id>/transfer/", views.record_transfer, name="record_transfer"),
    path("records/<int:record_id>/query/", views.record_query, name="record_query"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task_done"),
    path("expected/", views.expected, name="expected"),
    path("notices/", views.notices_page, name="notices"),
    path("notices/<int:notice_id>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
]
