from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "liuguan.registry"
    label = "registry"
