from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class OpsPortalAdminConfig(AdminConfig):
    """Installs OpsPortal's admin site (dashboards, title) as `admin.site`."""

    default_site = "opsportal.admin_site.OpsPortalAdminSite"


class OpsPortalConfig(AppConfig):
    name = "opsportal"
    verbose_name = "OpsPortal core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Role permissions follow new models after every migrate; creating
        # schedules here would be wrong (see setup_schedules), groups are fine.
        from django.db.models.signals import post_migrate

        from opsportal.roles import sync_role_permissions_after_migrate

        post_migrate.connect(sync_role_permissions_after_migrate, dispatch_uid="opsportal.sync_roles")

        # Worker log lines carry the task name and id (issue 17).
        from django_q.signals import post_execute_in_worker, pre_execute

        from opsportal.observability.logging import task_finished, task_started

        pre_execute.connect(task_started, dispatch_uid="opsportal.task_started")
        post_execute_in_worker.connect(task_finished, dispatch_uid="opsportal.task_finished")
        # The audit triggers' maintenance flag (see opsportal.audit.triggers) on every SQLite connection.
        from django.db.backends.signals import connection_created

        from opsportal.audit.triggers import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="opsportal.audit_sqlite_function")
