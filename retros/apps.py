from django.apps import AppConfig


class RetrosConfig(AppConfig):
    name = "retros"
    verbose_name = "Retrospectives and reviews"
    default_auto_field = "django.db.models.BigAutoField"
