from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "liuguan.oversight"
    label = "oversight"
