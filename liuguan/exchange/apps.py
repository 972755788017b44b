from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "liuguan.exchange"
    label = "exchange"
