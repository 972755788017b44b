from django.urls import path

from . import views

app_name = "collection"
urlpatterns = [
    path("import/", views.import_list, name="import_list"),
    path("import/new/", views.import_upload, name="import_upload"),
    path("import/template.<str:kind>", views.import_template, name="import_template"),
    path("import/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("import/<int:batch_id>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:batch_id>/result.xlsx", views.import_result, name="import_result"),
    path("import/<int:batch_id>/resume/", views.import_resume, name="import_resume"),
]
