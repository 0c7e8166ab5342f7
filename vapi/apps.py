from django.apps import AppConfig


class VapiConfig(AppConfig):
    name = "vapi"
    verbose_name = "vSphere Automation API"
    default_auto_field = "django.db.models.BigAutoField"
