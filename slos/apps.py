from django.apps import AppConfig


class SlosConfig(AppConfig):
    name = "slos"
    verbose_name = "SLOs"
    default_auto_field = "django.db.models.BigAutoField"
