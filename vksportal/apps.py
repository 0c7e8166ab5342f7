from django.apps import AppConfig


class VksPortalConfig(AppConfig):
    name = "vksportal"
    verbose_name = "VKS Portal"
