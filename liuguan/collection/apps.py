from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "liuguan.collection"
    label = "collection"
