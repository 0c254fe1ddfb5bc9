from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Customer dashboard"

    def ready(self) -> None:
        from dashboard import permissions, sign_in

        permissions.connect_signals()
        sign_in.connect_signals()
