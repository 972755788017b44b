from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "liuguan.portal"
    label = "portal"
