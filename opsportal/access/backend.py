"""Django's permission protocol, answered per project.

`user.has_perm("incidents.approve_postmortem", postmortem)` is True when the
user's role in the postmortem's project allows it; without an object it is
True when some project (or the organisation baseline) allows it, which is
what admin and API model-level gates ask before the rows are scoped.
Permissions of organisation-wide models and of other apps (users, tokens)
come from the groups, as with Django's ModelBackend.
"""

from django.contrib.auth.backends import ModelBackend

from opsportal.access import rules
from opsportal.access.registry import permission_targets, project_id_of


class ProjectRoleBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        target = permission_targets().get(perm)
        if target is None:
            # Group permissions are organisation-wide: the same for every row.
            return super().has_perm(user_obj, perm)
        if user_obj.is_superuser:
            return True
        model, action = target
        from opsportal.models import Project

        if model is Project and action == "add":
            return super().has_perm(user_obj, perm)  # creating projects is organisation business
        access = rules.declaration(model)
        if obj is None:
            if access.open_when_null:  # organisation-wide rows exist: the organisation group counts too
                return rules.may_write_organisation_wide(user_obj, model, action)
            if access.managers_when_null and rules.may_see_personal_rows(user_obj, model, action):
                return True
            return rules.allowed_somewhere(user_obj, model, action)
        project_id = project_id_of(obj)
        if project_id is None:  # an organisation-wide row of a project model (an article without project)
            if rules.declaration(type(obj)).managers_when_null:  # a digest to a person: Managers only
                return rules.may_see_personal_rows(user_obj, model, action)
            if action == "view" and rules.declaration(type(obj)).open_when_null:
                return True
            return rules.may_write_organisation_rows(user_obj, model, action)
        return rules.role_allows(rules.project_role(user_obj, project_id), model, action)

    def has_module_perms(self, user_obj, app_label):
        return app_label in self._module_apps(user_obj)

    def _module_apps(self, user_obj) -> frozenset[str]:
        """The apps the user sees in the admin: those of their group permissions (as ModelBackend
        answers) and those with a model some project role lets them view. The admin asks once per
        registered model on every page (sidebar and index), and each answer would scan every
        permission again: computed once and remembered on the user object for the request."""
        answers = rules.user_cache(user_obj, "_module_apps_cache")
        if "apps" not in answers:
            apps = set()
            if user_obj.is_active:
                apps = {perm.partition(".")[0] for perm in self.get_all_permissions(user_obj)}
                apps |= {model._meta.app_label for model, action in permission_targets().values()
                         if action == "view" and model._meta.app_label not in apps
                         and rules.allowed_somewhere(user_obj, model, action)}
            answers["apps"] = frozenset(apps)
        return answers["apps"]
