"""The generated access matrix: every API route and every admin registration, for members and non-members.

The routes come from the API router and the admin registry, so an endpoint or
admin added later without scoping fails here. Rows are the shop's (seed_demo);
the outsider is a Manager of the warehouse only, so every model permission
passes for them and only the per-project scoping stands between them and the
shop's rows: each of those requests must answer 404 (never 403, never 2xx).
"""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from opsportal.access.admin import ProjectScopedAdmin
from opsportal.access.drf import ProjectRolePermissions, ProjectScopeFilter, required_perms
from opsportal.access.registry import declaration, project_id_of
from opsportal.api.urls import router
from tests.access.conftest import ROLES

pytestmark = pytest.mark.no_group_memberships

SAMPLE_PATH_VALUES = {"phase": "phase6", "number": "1"}


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def routes():
    """(prefix, viewset, model) for every viewset on the router."""
    found = []
    for prefix, viewset, _basename in router.registry:
        view = viewset()
        request = type("Request", (), {"user": AnonymousUser(), "query_params": {}, "method": "GET"})()
        view.action, view.request, view.kwargs, view.format_kwarg = "list", request, {}, None
        queryset = getattr(viewset, "queryset", None)
        if queryset is None:
            queryset = viewset.get_queryset(view)
        found.append((prefix, viewset, queryset.model))
    return found


def shop_row(model, shop):
    access = declaration(model)
    if access is None or access.organisation_wide:
        return None
    lookup = f"{access.path}" if access.path else "pk"
    return model._default_manager.filter(**{lookup: shop.pk}).order_by("pk").first()


def detail_url(prefix, viewset, row) -> str:
    lookup = getattr(viewset, "lookup_field", "pk")
    return f"/api/v1/{prefix}/{getattr(row, lookup)}/"


def action_url(base: str, extra) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "1"), extra.url_path)
    return f"{base}{path}/"


def results(response) -> list:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_every_view_uses_the_shared_scoping():
    """The defaults (filter backend, permission class) are not switched off by any viewset."""
    for prefix, viewset, model in routes():
        assert any(issubclass(p, ProjectRolePermissions) for p in viewset.permission_classes), prefix
        assert ProjectScopeFilter in viewset.filter_backends, prefix
        declaration(model)  # raises for an OpsPortal model without an access declaration


def test_api_matrix(demo, people):
    shop, problems, covered = demo["shop"], [], 0
    outsider = client_for(people["outsider"])
    for prefix, viewset, model in routes():
        row = shop_row(model, shop)
        # Lists: nothing of the shop for the outsider; members see only their projects' rows.
        for who in ("outsider", *ROLES):
            response = client_for(people[who]).get(f"/api/v1/{prefix}/")
            if response.status_code != 200:
                if who != "outsider" and not people[who].has_perm(f"{model._meta.app_label}.view_"
                                                                  f"{model._meta.model_name}"):
                    continue
                if getattr(viewset, "list", None) is None:
                    continue
                if response.status_code in (400, 405):  # lists needing a parameter (runbooks?alert=)
                    continue
                problems.append(f"{prefix} list as {who}: {response.status_code}")
                continue
            lookup = getattr(viewset, "lookup_field", "pk")
            for item in results(response):
                key = item.get(lookup if lookup != "pk" else "id")
                listed = model._default_manager.filter(**{lookup: key}).first() if key is not None else None
                if listed is not None and project_id_of(listed) == shop.pk and who == "outsider":
                    problems.append(f"{prefix} list shows the shop's {key} to the outsider")
        if row is None or not hasattr(viewset, "retrieve"):
            continue
        covered += 1
        base = detail_url(prefix, viewset, row)
        extras = [extra for extra in viewset.get_extra_actions() if extra.detail]
        # The outsider: every method on the shop's row and its actions is 404.
        attempts = [("get", base), ("put", base), ("patch", base), ("delete", base)]
        attempts += [(method, action_url(base, extra)) for extra in extras for method in extra.mapping]
        for method, url in attempts:
            status = getattr(outsider, method)(url, {}, format="json").status_code
            if status not in (404, 405):
                problems.append(f"{method.upper()} {url} as outsider: {status}, expected 404")
        # Members: the role in the shop decides, per action.
        for role in ROLES:
            user, client = people[role], client_for(people[role])
            for extra in extras:
                for method in extra.mapping:
                    view = viewset()
                    view.action = extra.mapping[method]
                    needed = required_perms(view, type("R", (), {"method": method.upper()})(), model)
                    allowed = user.has_perms(needed, row)
                    status = getattr(client, method)(action_url(base, extra), {}, format="json").status_code
                    if allowed and status in (403, 404) or not allowed and status != 403:
                        problems.append(f"{method.upper()} {action_url(base, extra)} as shop {role}: {status} "
                                        f"(role {'allows' if allowed else 'refuses'} {needed})")
            status = client.get(base).status_code
            if status != 200:
                problems.append(f"GET {base} as shop {role}: {status}")
            for method, action in (("patch", "change"), ("delete", "delete")):
                allowed = user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}", row)
                if allowed:
                    continue  # changing demo rows with empty bodies proves nothing more
                status = getattr(client, method)(base, {}, format="json").status_code
                if status not in (403, 405):
                    problems.append(f"{method.upper()} {base} as shop {role}: {status}, expected 403")
    assert covered >= 10, f"only {covered} viewsets had a shop row to try"
    assert problems == []


def admin_models():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if declaration(model) is not None and not declaration(model).organisation_wide]


def test_every_project_admin_is_scoped():
    assert admin_models(), "no project-scoped admin found"
    for model, model_admin in admin_models():
        assert isinstance(model_admin, ProjectScopedAdmin), model._meta.label


def test_admin_matrix(client, demo, people):
    shop, problems, covered = demo["shop"], [], 0
    client.force_login(people["outsider"])
    for model, _model_admin in admin_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(changelist)
        if response.status_code == 200 and response.context and "cl" in response.context:
            leaked = [obj for obj in response.context["cl"].result_list if project_id_of(obj) == shop.pk]
            if leaked:
                problems.append(f"{changelist} shows {len(leaked)} shop rows to the outsider")
        row = shop_row(model, shop)
        if row is None:
            continue
        covered += 1
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        status = client.get(change).status_code
        if status == 200:
            problems.append(f"{change} opens for the outsider")
        status = client.post(change, {}).status_code
        if status == 200:
            problems.append(f"POST {change} accepted from the outsider")
    client.force_login(people["viewer"])
    for model, _model_admin in admin_models():
        row = shop_row(model, shop)
        if row is None:
            continue
        opts = model._meta
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        if client.get(change).status_code != 200:
            problems.append(f"{change} does not open for the shop's viewer")
        if client.post(change, {}).status_code != 403:
            problems.append(f"POST {change} by the shop's viewer is not refused")
    assert covered >= 10
    assert problems == []


# Views outside the router (project slug or a row in the path): listed so a new one must be placed here.
TOKEN_AUTHENTICATED = {"alertmanager-webhook"}  # an integration token names the project, not a user


def test_every_other_api_route_is_scoped(demo, people):
    from opsportal.api.urls import extra_urlpatterns

    shop, problems = demo["shop"], []
    outsider, viewer = client_for(people["outsider"]), client_for(people["viewer"])
    for pattern in extra_urlpatterns:
        if pattern.name in TOKEN_AUTHENTICATED:
            continue
        view = pattern.callback.view_class
        converters = set(pattern.pattern.converters)
        if converters == {"slug"}:
            url = "/api/v1/" + str(pattern.pattern).replace("<slug:slug>", shop.slug)
        elif converters == {"pk"}:
            row = shop_row(view.queryset.model, shop)
            assert row is not None, f"no shop row to try {pattern.name} with"
            url = "/api/v1/" + str(pattern.pattern).replace("<int:pk>", str(row.pk))
        else:
            problems.append(f"{pattern.name}: unknown path parameters {converters}; add it to this test")
            continue
        for method in ("get", "post"):
            if method not in view.http_method_names or not hasattr(view, method):
                continue
            status = getattr(outsider, method)(url, {}, format="json").status_code
            if status != 404:
                problems.append(f"{method.upper()} {url} as outsider: {status}, expected 404")
            if method == "post":
                status = viewer.post(url, {}, format="json").status_code
                if status != 403:
                    problems.append(f"POST {url} as the shop's viewer: {status}, expected 403")
    assert problems == []
