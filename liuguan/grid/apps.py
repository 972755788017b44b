from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "liuguan.grid"
    label = "grid"
