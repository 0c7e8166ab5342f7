from django.apps import AppConfig


class VksPortalConfig(AppConfig):
    name = "vksportal"
    verbose_name = "VKS Portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from vksportal.middleware import session_activity_start

        user_logged_in.connect(session_activity_start, dispatch_uid="vks-session-activity")
