from django.urls import path

from . import views

app_name = "exchange"
# The hub's administration (departments, subsystems, keys, grants) and the access log (see views.py).
urlpatterns = [
    path("", views.index, name="index"),
    path("departments/<str:code>/", views.department, name="department"),
    path("subsystems/<int:subsystem_id>/", views.subsystem, name="subsystem"),
    path("subsystems/<int:subsystem_id>/keys/", views.key_issue, name="key_issue"),
    path("subsystems/<int:subsystem_id>/keys/<int:token_id>/rotate/", views.key_rotate, name="key_rotate"),
    path("subsystems/<int:subsystem_id>/keys/<int:token_id>/revoke/", views.key_revoke, name="key_revoke"),
    path("subsystems/<int:subsystem_id>/deactivate/", views.subsystem_deactivate, name="subsystem_deactivate"),
    path("subsystems/<int:subsystem_id>/grants/", views.grant_issue, name="grant_issue"),
    path("grants/<int:grant_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("log/", views.access_log, name="log"),
]
