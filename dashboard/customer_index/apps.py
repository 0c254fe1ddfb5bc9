from django.apps import AppConfig


class CustomerIndexConfig(AppConfig):
    """The local copy of every company's customers, kept in step by the sync worker and
    searched without asking QuickBooks."""

    name = "dashboard.customer_index"
    label = "customer_index"
    verbose_name = "Customer index"
    default_auto_field = "django.db.models.BigAutoField"
