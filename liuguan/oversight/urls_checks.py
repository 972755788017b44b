"""Pages of municipal management: spot checks (抽查) and feedback tasks (倒查、反馈)."""

from django.urls import path

from . import views_checks as views

urlpatterns = [
    path("checks/", views.spotchecks, name="spotchecks"),
    path("checks/new/", views.spotcheck_round_new, name="spotcheck_round_new"),
    path("checks/rounds/<int:round_id>/", views.spotcheck_round, name="spotcheck_round"),
    path("checks/rounds/<int:round_id>/close/", views.spotcheck_round_close, name="spotcheck_round_close"),
    path("checks/mine/", views.my_checks, name="my_checks"),
    path("checks/<int:check_id>/", views.spotcheck, name="spotcheck"),
    path("feedback/", views.feedback, name="feedback"),
    path("feedback/all/", views.feedback_list, name="feedback_list"),
    path("feedback/open/", views.feedback_open, name="feedback_open"),
    path("feedback/<int:task_id>/", views.feedback_task, name="feedback_task"),
    path("feedback/<int:task_id>/fix/", views.feedback_fix, name="feedback_fix"),
    path("feedback/<int:task_id>/dispute/", views.feedback_dispute, name="feedback_dispute"),
    path("feedback/<int:task_id>/decide/", views.feedback_decide, name="feedback_decide"),
]
