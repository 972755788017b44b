from django.urls import path

from . import views_police

app_name = "police"
# Assist-investigation bulletins and their hits, offence notices (see views_police.py).
urlpatterns = [
    path("bulletins/", views_police.bulletin_index, name="bulletins"),
    path("bulletins/hits/", views_police.hit_index, name="hits"),
    path("bulletins/hits/<int:hit_id>/work/", views_police.hit_work, name="hit_work"),
    path("bulletins/<int:bulletin_id>/", views_police.bulletin_detail, name="bulletin"),
    path("bulletins/<int:bulletin_id>/withdraw/", views_police.bulletin_withdraw, name="bulletin_withdraw"),
    path("offences/", views_police.offence_index, name="offences"),
    path("offences/new/<int:person_id>/", views_police.offence_new, name="offence_new"),
    path("offences/<int:notice_id>/acknowledge/", views_police.offence_acknowledge, name="offence_acknowledge"),
]
