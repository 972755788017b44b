from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "liuguan.accounts"
    label = "accounts"
