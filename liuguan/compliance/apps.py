from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "liuguan.compliance"
    label = "compliance"
