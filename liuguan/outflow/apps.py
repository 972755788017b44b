from django.apps import AppConfig


class OutflowConfig(AppConfig):
    name = "liuguan.outflow"
    verbose_name = "Outflow population"

    def ready(self):
        # The message handlers register themselves with HANDLERS on import: the inbox finds them from the start.
        from .services import handlers  # noqa: F401
