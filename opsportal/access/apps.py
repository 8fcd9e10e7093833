from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "opsportal.access"
    label = "access"
    verbose_name = "Project access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from opsportal.access import drf, rules
        from opsportal.access.models import ProjectMembership

        drf.install_reference_scoping()
        for signal in (post_save, post_delete):
            signal.connect(rules.memberships_changed, sender=ProjectMembership, dispatch_uid=f"access.{signal}")
