from django.apps import AppConfig


class ExperienceConfig(AppConfig):
    name = "experience"
    verbose_name = "User experience"
    default_auto_field = "django.db.models.BigAutoField"
