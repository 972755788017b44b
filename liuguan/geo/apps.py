from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "liuguan.geo"
    label = "geo"
