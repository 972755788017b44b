from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "liuguan.linkage"
    label = "linkage"
