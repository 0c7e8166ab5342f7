from django.apps import AppConfig


class KubeapiConfig(AppConfig):
    name = "kubeapi"
    verbose_name = "Kubernetes API"
    default_auto_field = "django.db.models.BigAutoField"
