from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "liuguan.core"
    label = "core"
    verbose_name = "core"
