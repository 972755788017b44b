from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "liuguan.insight"
    label = "insight"
