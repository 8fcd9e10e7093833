"""The admin side of per-project access, applied by the admin site to every registration.

`OpsPortalAdminSite.register()` mixes `ProjectScopedAdmin` into the ModelAdmin
of every project-scoped model, and `ProjectScopedInline` into its inlines:
changelists, change pages, autocomplete and raw-id popups (they use the
target admin's queryset), FK and M2M choices, inline rows and object
permissions all follow the user's role in the row's project. Custom admin
views load their object with `self.scoped_object_or_404(request, pk)` (or
`scope(...)`), never with a bare `Model.objects`.
"""

from django.contrib import messages
from django.http import Http404

from opsportal.access import rules
from opsportal.access.registry import declaration, project_id_of


def _scoped(model) -> bool:
    access = declaration(model)
    return access is not None and not access.organisation_wide


def _perm(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def limit_choices(formfield, request):
    """FK/M2M choices: only rows of projects where the user may write (none of another project's)."""
    queryset = getattr(formfield, "queryset", None) if formfield is not None else None
    if queryset is not None and declaration(queryset.model) is not None:
        formfield.queryset = rules.scope(queryset, request.user, rules.REFERENCE)
    return formfield


class _ScopeCommon:
    def get_queryset(self, request):
        # Project ids as values: the planner can then see a changelist covers most of a big table.
        return rules.scope(super().get_queryset(request), request.user, "view", literal_ids=True)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return limit_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return limit_choices(super().formfield_for_manytomany(db_field, request, **kwargs), request)

    def _allowed(self, request, action, obj):
        return obj is None or request.user.has_perm(_perm(self.model, action), obj)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            self._allowed(request, "view", obj) or self._allowed(request, "change", obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed(request, "delete", obj)


class ProjectScopedAdmin(_ScopeCommon):
    """Mixed into the ModelAdmin of every project-scoped model by the admin site."""

    project_scoped = True

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path.rstrip("/").endswith("autocomplete"):
            # Autocomplete offers what a form may reference: rows of projects the user writes to.
            queryset = rules.scope(queryset, request.user, rules.REFERENCE)
        return queryset, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        access = declaration(self.model)
        if obj is not None and access.first_field and access.first_field not in fields:
            fields.append(access.first_field)  # a row stays in its project: no moves
        if obj is not None and access.manager_fields \
                and rules.project_role(request.user, project_id_of(obj)) != rules.MANAGER:
            fields += [name for name in access.manager_fields if name not in fields]
        return fields

    def get_actions(self, request):
        # Actions get the view-scoped selection; rows the user may not change (or delete) there are refused.
        actions = super().get_actions(request)
        for name, (func, action_name, description) in list(actions.items()):
            needed = [p for p in getattr(func, "allowed_permissions", ()) if p in ("add", "change", "delete")]
            if name == "delete_selected":
                needed = ["delete"]
            if needed:
                actions[name] = (_role_checked_action(func, needed), action_name, description)
        return actions

    def get_inlines(self, request, obj):
        return [scoped_inline(inline) for inline in super().get_inlines(request, obj)]

    def scoped_object_or_404(self, request, pk, queryset=None):
        """The row for a custom admin view, only if the user may see it (another project's: 404)."""
        queryset = self.get_queryset(request) if queryset is None else rules.scope(queryset, request.user)
        try:
            return queryset.get(pk=pk)
        except (queryset.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None


def _role_checked_action(func, needed):
    def run(model_admin, request, queryset):
        allowed = queryset
        for action in needed:
            allowed = rules.scope(allowed, request.user, action)
        refused = queryset.count() - allowed.count()
        if refused:
            model_admin.message_user(
                request, f"Nothing done: your role does not allow this on {refused} of the selected rows "
                         f"(another project's role).", messages.ERROR)
            return None
        return func(model_admin, request, queryset)

    run.short_description = getattr(func, "short_description", None)
    run.__name__ = getattr(func, "__name__", "action")
    run.bulk_operation = getattr(func, "bulk_operation", None)  # opsportal.admin.bulk.bulk_capable
    run.bulk_exempt = getattr(func, "bulk_exempt", None)
    return run


class ProjectScopedInline(_ScopeCommon):
    project_scoped = True

    def has_add_permission(self, request, obj=None):
        # `obj` is the parent row: adding to it needs the add permission in the parent's project.
        return super().has_add_permission(request, obj) and self._allowed(request, "add", obj)


def scoped_admin(admin_class, model):
    """`admin_class` with project scoping mixed in when `model` belongs to a project."""
    if not _scoped(model) or issubclass(admin_class, ProjectScopedAdmin):
        return admin_class
    return type(admin_class.__name__, (ProjectScopedAdmin, admin_class), {"__module__": admin_class.__module__})


def scoped_inline(inline_class):
    if not _scoped(inline_class.model) or issubclass(inline_class, ProjectScopedInline):
        return inline_class
    return type(inline_class.__name__, (ProjectScopedInline, inline_class), {"__module__": inline_class.__module__})


# --- memberships -------------------------------------------------------------------

from django.contrib import admin  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402

from opsportal.access.models import ProjectMembership  # noqa: E402


class MembershipInline(admin.TabularInline):
    """People and their roles, on the project page; only the project's Managers change them."""

    model = ProjectMembership
    fk_name = "project"
    extra = 0
    fields = ["user", "role", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    # A plain choice of active people: Managers of a project need not be allowed to browse the user admin.

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_active=True).order_by(
                db_field.related_model.USERNAME_FIELD)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
    verbose_name = "member"
    verbose_name_plural = "members and their roles"


def save_membership_formset(request, formset) -> None:
    """Inline edits go through the services, so every grant and revoke is evidence on the project."""
    from opsportal.access.services import membership_grant, membership_revoke

    project = formset.instance
    # The admin's history message reads these; the services below record the real change as evidence.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    try:
        for form in formset.deleted_forms:
            if form.instance.pk:
                membership_revoke(project=project, user=form.instance.user, actor=request.user)
        for form in formset.forms:
            if form in formset.deleted_forms or not form.has_changed() or not form.cleaned_data.get("user"):
                continue
            previous_user = form.initial.get("user")
            if form.instance.pk and previous_user and previous_user != form.cleaned_data["user"].pk:
                membership_revoke(project=project, user=form.instance.user.__class__.objects.get(pk=previous_user),
                                  actor=request.user)
            membership_grant(project=project, user=form.cleaned_data["user"], role=form.cleaned_data["role"],
                             actor=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, f"Roles not changed: {exc}")


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(admin.ModelAdmin):
    """Read here; grant on the project's page (its Managers) or with `manage.py grant_project_role`."""

    list_display = ["project", "user", "role", "added_by", "added_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__slug", "project__name"]
    list_select_related = ["project", "user", "added_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
