from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Customer dashboard"

    def ready(self) -> None:
        from dashboard import checks, permissions  # noqa: F401 (checks register themselves)

        permissions.connect_signals()
