from django.apps import AppConfig


class AssociationsConfig(AppConfig):
    name = "liuguan.livelihood.associations"
    label = "associations"
