from django.apps import AppConfig


class LegalAidConfig(AppConfig):
    name = "liuguan.livelihood.legalaid"
    label = "legalaid"
