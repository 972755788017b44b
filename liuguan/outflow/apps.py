from django.apps import AppConfig


class OutflowConfig(AppConfig):
    name = "liuguan.outflow"
    verbose_name = "Outflow population"
