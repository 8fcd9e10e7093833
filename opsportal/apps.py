from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class OpsPortalAdminConfig(AdminConfig):
    """Installs OpsPortal's admin site (dashboards, title) as `admin.site`."""

    default_site = "opsportal.admin_site.OpsPortalAdminSite"

    def ready(self):
        # Every admin form's date-times (inlines included) keep an unchanged instant in the repeated
        # hour of a DST change instead of refusing it as ambiguous; set before autodiscovery
        # (super().ready()) instantiates the ModelAdmins, which copy these defaults.
        from django.contrib.admin import options
        from django.db import models

        from opsportal.form_fields import KeptInstantSplitDateTimeField

        defaults = options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateTimeField]
        defaults["form_class"] = KeptInstantSplitDateTimeField
        super().ready()


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

        # The organisation role is cached on the user object (opsportal.roles.user_role): forget it
        # when that object's groups change, as Django forgets its permission caches.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        from opsportal.roles import forget_user_role

        m2m_changed.connect(forget_user_role, sender=get_user_model().groups.through,
                            dispatch_uid="opsportal.forget_user_role")

        # Worker log lines carry the task name and id (issue 17).
        from django_q.signals import post_execute_in_worker, pre_execute

        from opsportal.observability.logging import task_finished, task_started

        pre_execute.connect(task_started, dispatch_uid="opsportal.task_started")
        post_execute_in_worker.connect(task_finished, dispatch_uid="opsportal.task_finished")
        # The audit triggers' maintenance flag (see opsportal.audit.triggers) on every SQLite connection.
        from django.db.backends.signals import connection_created

        from opsportal.audit.triggers import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="opsportal.audit_sqlite_function")
