from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Customer dashboard"

    def ready(self) -> None:
        from dashboard import permissions

        permissions.connect_signals()
