"""Every registered admin's changelist runs a constant number of queries, however many rows it shows.

Generated from the admin registry, so an admin added later is covered without editing this file:
the demo data (`seed_demo`) plus a few rows for the tables it leaves thin fill the tables; each
changelist is loaded showing one row per page and showing up to 100, as a Manager (as a superuser
for the few admins Managers may not see), and both must run the same queries, at most
MAX_QUERIES (the issue's budget for a changelist page).
"""

import warnings
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import Alert, Incident, ProjectResponders, WebhookDelivery
from incidents.services.alerts import alert_integration_create
from opsportal.admin.scale import EstimatedCountPaginator
from opsportal.models import BulkActionRun, Project, WorkerHeartbeat
from opsportal.services import approval_record, record_validation
from opsportal.services.approvals import approvals_supersede
from retros.models import RetroCadence, RetroSeries
from tests.factories import ProjectFactory

MAX_QUERIES = 20
ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def top_up_thin_tables():
    """Rows for the tables the demo leaves with fewer than two (one project, one integration...)."""
    shop = Project.objects.get(slug="shop")
    ops = ProjectFactory(slug="ops", name="Ops tooling")
    for project in (shop, ops):
        for i in range(2):
            record_validation(project=project, check=f"registry.check-{i}", result="PASS")
    integration, _ = alert_integration_create(project=ops, name="ops-alertmanager")
    incident = Incident.objects.filter(project=shop).first()
    now = timezone.now()
    for i in range(3):
        Alert.objects.create(integration=integration, project=ops, incident=incident, fingerprint=f"fp{i}",
                             alert_name=f"OpsAlert{i}", status="firing", labels={"i": str(i)},
                             labels_text=f"i={i}", starts_at=now - timedelta(minutes=i), last_received_at=now)
        WebhookDelivery.objects.create(incident=incident, key=f"registry-{i}", url="https://chat.example.com/hook",
                                       body={"text": str(i)}, next_attempt_at=now)
        WorkerHeartbeat.objects.create(worker=f"worker-{i}", last_seen=now - timedelta(seconds=i))
    ProjectResponders.objects.get_or_create(project=ops, defaults={"number_prefix": "OPS"})
    for label in ("Close incidents", "Acknowledge incidents"):
        BulkActionRun.objects.create(label=label, operation="incidents.bulk.acknowledge", model="incidents.Incident",
                                     object_ids=[incident.pk], total=1)
    RetroSeries.objects.create(project=ops, cadence=RetroCadence.WEEKLY, start=now, last_start=now, count=1,
                               time_zone="UTC")
    users = get_user_model().objects
    for version in (1, 2):  # two approvals of the ops project, both superseded by a later change
        approval_record(subject=ops, kind="slo_review", decision="approve", approver=users.get(username="manager"),
                        content={"version": version}, authors=[users.get(username="operator")])
    approvals_supersede(subject=ops, new_content_sha256="c" * 64, reason="objectives changed")


@pytest.fixture
def demo(db, roles):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    top_up_thin_tables()
    users = get_user_model().objects
    return {"manager": users.get(username="manager"), "admin": users.get(username="admin")}


def changelist_queries(client, model_admin, url, per_page):
    model_admin.list_per_page = per_page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx), len(response.context["cl"].result_list)


def test_changelist_queries_do_not_grow_with_rows_shown(client, demo, monkeypatch):
    problems = []
    for model, model_admin in ADMINS:
        monkeypatch.setattr(model_admin, "list_per_page", model_admin.list_per_page)  # restored afterwards
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        client.force_login(demo["manager"])
        if client.get(url).status_code == 403:  # e.g. API tokens, the task queue: superusers only
            client.force_login(demo["admin"])
        client.get(url)  # warm per-request caches so both runs compare like with like
        one_row, shown_one = changelist_queries(client, model_admin, url, 1)
        many_rows, shown_many = changelist_queries(client, model_admin, url, 100)
        if one_row != many_rows:
            problems.append(f"{model._meta.label}: {one_row} queries for {shown_one} row, "
                            f"{many_rows} for {shown_many} rows")
        if many_rows > MAX_QUERIES:
            problems.append(f"{model._meta.label}: {many_rows} queries (budget {MAX_QUERIES})")
    assert problems == []
    assert len(ADMINS) >= 25  # the registry was really walked


def test_the_demo_fills_every_unbounded_table_the_admin_lists(demo):
    """The comparison above means something only when there are rows to show: two or more per table.

    Required for the admins of unbounded tables (EstimatedCountPaginator); other thin tables are
    reported as a warning, so a new admin without demo rows is visible without failing the build.
    """
    thin = [(model._meta.label, model_admin) for model, model_admin in ADMINS
            if model._meta.app_label not in {"auth", "authtoken", "django_q"} and model._default_manager.count() < 2]
    unbounded = [label for label, model_admin in thin if model_admin.paginator is EstimatedCountPaginator]
    for label, _ in thin:
        warnings.warn(f"{label}: fewer than two demo rows, its changelist query count is checked on few rows",
                      stacklevel=1)
    assert unbounded == []
