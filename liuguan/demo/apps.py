from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "liuguan.demo"
    label = "demo"
