from django.apps import AppConfig


class KubeapiConfig(AppConfig):
    name = "kubeapi"
    verbose_name = "Kubernetes API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every write to an object the API serves records a change (resourceVersion, watch).
        from kubeapi import tracking

        tracking.connect()
