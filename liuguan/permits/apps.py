from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "liuguan.permits"
    label = "permits"
