from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "capacity"
    verbose_name = "Capacity and performance"
    default_auto_field = "django.db.models.BigAutoField"
