from django.apps import AppConfig


class WelfareConfig(AppConfig):
    name = "liuguan.livelihood.welfare"
    label = "welfare"

    def ready(self):
        # The hub's feed, webhooks and extracts read records through its table of sources; the health datasets
        # add theirs here so the hub itself needs no import of this app.
        from .sharing import register_sources

        register_sources()
