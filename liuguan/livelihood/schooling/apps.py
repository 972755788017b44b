from django.apps import AppConfig


class SchoolingConfig(AppConfig):
    name = "liuguan.livelihood.schooling"
    label = "schooling"
    verbose_name = "Children's schooling"
