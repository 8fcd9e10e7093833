"""The admin at scale (issue #20): changelist times on PostgreSQL with big tables. Not part of the test run.

    createdb -h 127.0.0.1 -U postgres opsportal_admin_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsportal_admin_bench \
        .venv/bin/python bench/admin_scale.py [--scale 1.0] [--reuse] [--repeat 5]

At --scale 1.0 it loads (COPY) 100,000 incidents with 10 timeline entries each (1,000,000), 5,000,000
SLI measurements over 100 SLOs, 1,000,000 evidence records and 200,000 validation entries; --scale 0.2
loads a fifth of each. Indexes other than primary keys and constraints are dropped during the load and
built again after (as a bulk load does), then VACUUM ANALYZE. --reuse keeps the rows of a previous run.

Then, logged in as a project Manager (production settings, DEBUG off), it loads each large changelist:
first page, a filter, a search, a date drill-down and page 50, --repeat times, and prints the median and
worst time and the queries of each (targets: < 150 ms median, < 300 ms worst, <= 20 queries), and the
EXPLAIN ANALYZE of the slowest page's slowest query.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from incidents.models import Incident, IncidentEvent  # noqa: E402
from opsportal.audit.triggers import MAINTENANCE_SETTING  # noqa: E402
from opsportal.models import EvidenceRecord, Project, Service, ValidationEntry  # noqa: E402
from opsportal.roles import MANAGERS, sync_role_permissions  # noqa: E402
from slos.models import SLO, SLIMeasurement  # noqa: E402
from slos.services import slo_create  # noqa: E402

PROJECT = "bench"
NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
REQUIRED = object()
KINDS = ["slo_check", "incident", "postmortem_approved", "retro_cadence", "improvement", "manual"]


# --- loading ------------------------------------------------------------------------------------
def copy_rows(model, rows) -> int:
    """COPY dicts of attname -> value into the model's table; missing fields get their default."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)

    def default(field):
        if field.has_default():
            value = field.get_default()
        elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            value = NOW
        elif field.null:
            value = None
        elif isinstance(field, (models.CharField, models.TextField, models.FileField)):
            value = ""
        else:
            value = REQUIRED
        return value

    defaults = {f.attname: default(f) for f in fields}
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for f in fields:
                value = row.get(f.attname, defaults[f.attname])
                if value is REQUIRED:
                    raise ValueError(f"{model.__name__}.{f.name} needs a value")
                if isinstance(f, models.JSONField) and value is not None:
                    value = json.dumps(value)
                values.append(value)
            copy.write_row(values)
            count += 1
    return count


def secondary_indexes(tables) -> list[tuple[str, str]]:
    """(name, CREATE statement) of indexes that back no constraint: dropped for the load, rebuilt after."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [list(tables)])
        return cursor.fetchall()


def load(scale: float) -> dict:
    rng = random.Random(20)
    n_incidents, n_events_each = int(100_000 * scale), 10
    n_measurements = int(5_000_000 * scale)
    n_evidence, n_validation = int(1_000_000 * scale), int(200_000 * scale)
    project = Project.objects.get(slug=PROJECT)
    services = list(Service.objects.filter(project=project))
    slos = list(SLO.objects.filter(project=project).order_by("id"))
    tables = ["incidents_incident", "incidents_incident_services", "incidents_incidentevent",
              "slos_slimeasurement", "opsportal_evidencerecord", "opsportal_validationentry"]
    indexes = secondary_indexes(tables)
    timings = {}
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        copy_all(project, services, slos, rng, n_incidents, n_events_each, n_measurements, n_evidence,
                 n_validation, timings)
    finally:  # the indexes come back whatever happened
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _, create in indexes:
                cursor.execute(create)
        timings["indexes rebuilt"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
    timings["VACUUM ANALYZE"] = time.perf_counter() - started
    return timings


def copy_all(project, services, slos, rng, n_incidents, n_events_each, n_measurements, n_evidence, n_validation,
             timings) -> None:
    started = time.perf_counter()
    span = timedelta(days=365)

    def incidents():
        for i in range(n_incidents):
            declared = NOW - span + span * (i / n_incidents)
            closed = rng.random() < 0.97
            row = {
                "project_id": project.pk, "number": i + 1, "reference": f"BENCH-{i + 1}",
                "title": f"{rng.choice(['Checkout', 'Payments', 'Search', 'Login'])} "
                         f"{rng.choice(['errors', 'latency', 'outage', 'timeouts'])} #{i + 1}",
                "severity": rng.choice(["SEV1", "SEV2", "SEV3", "SEV3", "SEV4", "SEV5"]),
                "status": "closed" if closed else "triage", "source": "alertmanager",
                "impact_started_at": declared - 5 * MINUTE, "detected_at": declared - 2 * MINUTE,
                "declared_at": declared, "created_at": declared, "updated_at": declared,
                "acknowledge_due_at": declared + 15 * MINUTE, "resolve_due_at": declared + 240 * MINUTE,
            }
            if closed:
                row.update(acknowledged_at=declared + 3 * MINUTE, mitigated_at=declared + 30 * MINUTE,
                           resolved_at=declared + 60 * MINUTE, closed_at=declared + 1440 * MINUTE)
            yield row

    copy_rows(Incident, incidents())
    first_id = Incident.objects.order_by("id").values_list("id", flat=True).first()  # the table was emptied
    copy_rows(Incident.services.through, ({"incident_id": first_id + i, "service_id": services[i % len(services)].pk}
                                          for i in range(n_incidents)))

    def events():
        for i in range(n_incidents):
            declared = NOW - span + span * (i / n_incidents)
            for e in range(n_events_each):
                yield {"incident_id": first_id + i, "kind": "note" if e else "declared",
                       "occurred_at": declared + e * 5 * MINUTE, "text": f"timeline entry {e}", "data": {},
                       "created_at": declared}

    copy_rows(IncidentEvent, events())
    timings["incidents + timeline"] = time.perf_counter() - started

    started = time.perf_counter()
    per_slo = n_measurements // len(slos)

    def measurements():
        for slo in slos:
            begin = NOW - MINUTE * per_slo
            for m in range(per_slo):
                total = 900 + rng.randrange(200)
                yield {"slo_id": slo.pk, "start": begin + MINUTE * m, "end": begin + MINUTE * (m + 1),
                       "good": total - rng.randrange(3), "total": total, "created_at": NOW, "updated_at": NOW}

    copy_rows(SLIMeasurement, measurements())
    timings["SLI measurements"] = time.perf_counter() - started

    started = time.perf_counter()

    def evidence():
        for i in range(n_evidence):
            kind = KINDS[i % len(KINDS)]
            yield {"project_id": project.pk, "phase": "phase6", "kind": kind, "source": "automation",
                   "summary": f"{kind.replace('_', ' ')} of {rng.choice(['checkout', 'payments', 'search'])} #{i}",
                   "payload": {"i": i}, "payload_sha256": f"{rng.getrandbits(256):064x}",
                   "created_at": NOW - span + span * (i / n_evidence)}

    copy_rows(EvidenceRecord, evidence())

    def validation():
        for i in range(n_validation):
            yield {"project_id": project.pk, "phase": "phase6", "check_name": f"slo.check-{i % 500}",
                   "result": "PASS" if i % 10 else "FAIL", "details": {}, "automation_enforced": True,
                   "created_at": NOW - span + span * (i / n_validation)}

    copy_rows(ValidationEntry, validation())
    timings["evidence + validation"] = time.perf_counter() - started


def prepare(scale: float, reuse: bool) -> tuple:
    call_command("migrate", verbosity=0)
    sync_role_permissions()
    project, _ = Project.objects.get_or_create(slug=PROJECT, defaults={"name": "Bench shop", "team": "SRE"})
    for i in range(10):
        Service.objects.get_or_create(project=project, slug=f"service-{i}", defaults={"name": f"Service {i}"})
    service = Service.objects.get(project=project, slug="service-0")
    for i in range(100 - SLO.objects.filter(project=project).count()):
        slo_create(project=project, service=service, name=f"Availability {i}",
                   slug=f"availability-{i}-{time.time_ns()}", objective=Decimal("99.9"))
    users = get_user_model().objects
    manager, _ = users.get_or_create(username="bench-manager", defaults={"is_staff": True})
    manager.groups.add(Group.objects.get(name=MANAGERS))
    _grant_membership(project, manager)
    timings = {}
    if not (reuse and Incident.objects.filter(project=project).exists()):
        with connection.cursor() as cursor:
            # Append-only tables refuse TRUNCATE unless the audit maintenance flag is on (as `flush` does).
            cursor.execute(f"SET {MAINTENANCE_SETTING} = 'on'")
            try:
                for model in (IncidentEvent, EvidenceRecord, ValidationEntry):
                    cursor.execute(f"TRUNCATE {model._meta.db_table} RESTART IDENTITY CASCADE")
                cursor.execute("TRUNCATE incidents_incident, slos_slimeasurement RESTART IDENTITY CASCADE")
            finally:
                cursor.execute(f"RESET {MAINTENANCE_SETTING}")
        timings = load(scale)
    return project, manager, timings


def _grant_membership(project, user) -> None:
    """Make the bench user a Manager of the bench project (per-project access: opsportal.access)."""
    from opsportal.access.models import ProjectMembership, ProjectRole

    ProjectMembership.objects.update_or_create(project=project, user=user, defaults={"role": ProjectRole.MANAGER})


# --- timing -------------------------------------------------------------------------------------
def pages(project) -> list[tuple[str, str, str]]:
    slo = SLO.objects.filter(project=project).order_by("id").first()
    incident = Incident.objects.filter(project=project).order_by("-number").first()
    ref = f"BENCH-{max(1, incident.number // 2)}" if incident else "BENCH-1"
    sha = EvidenceRecord.objects.order_by("-id").values_list("payload_sha256", flat=True).first()
    month = f"year={NOW.year}&{{f}}__month={NOW.month - 1 or 12}"
    inc, ev, val = "/admin/incidents/incident/", "/admin/opsportal/evidencerecord/", "/admin/opsportal/validationentry/"
    tl = "/admin/incidents/incidentevent/"
    entry = IncidentEvent.objects.order_by("-id").values_list("id", flat=True).first() or 1
    sli = f"/admin/slos/slimeasurement/?slo__id__exact={slo.pk}"
    service = Service.objects.filter(project=project).order_by("id").first()
    sli_page = max(1, min(50, SLIMeasurement.objects.filter(slo=slo).count() // 100))  # one SLO's rows
    return [
        # The fixed cost of any changelist on this machine (session, permissions, template), for comparison.
        ("reference", "changelist of a 0-row table", "/admin/opsportal/workerheartbeat/"),
        ("incidents", "first page", inc),
        ("incidents", "filter status", inc + "?status__exact=triage"),
        ("incidents", "filter service", inc + f"?services__id__exact={service.pk}"),
        ("incidents", f"search {ref}", inc + f"?q={ref}"),
        ("incidents", "search number", inc + f"?q={ref.split('-')[1]}"),
        ("incidents", "search words", inc + "?q=payments+outage"),
        ("incidents", "date drill-down", inc + "?declared_at__" + month.format(f="declared_at")),
        ("incidents", "page 50", inc + "?p=50"),
        ("timeline", "first page", tl),
        ("timeline", "filter kind", tl + "?kind__exact=declared"),
        ("timeline", "filter incident (autocomplete)", tl + f"?incident__id__exact={incident.pk if incident else 1}"),
        ("timeline", f"search {ref}", tl + f"?q={ref}"),
        ("timeline", "search entry number", tl + f"?q={entry // 2}"),
        ("timeline", "search words `entry 9`", tl + "?q=entry+9"),
        ("timeline", "date drill-down", tl + "?occurred_at__" + month.format(f="occurred_at")),
        ("timeline", "page 50", tl + "?p=50"),
        ("evidence", "first page", ev),
        ("evidence", "filter kind", ev + "?kind=postmortem_approved"),
        ("evidence", "search hash", ev + f"?q={sha}"),
        ("evidence", "search words", ev + "?q=payments"),
        ("evidence", "date drill-down", ev + "?created_at__" + month.format(f="created_at")),
        ("evidence", "page 50", ev + "?p=50"),
        ("validation", "first page", val),
        ("validation", "filter result", val + "?result__exact=FAIL"),
        ("validation", "search check", val + "?q=slo.check-42"),
        ("validation", "date drill-down", val + "?created_at__" + month.format(f="created_at")),
        ("validation", "page 50", val + "?p=50"),
        ("SLI measurements", "one SLO (required filter)", sli),
        ("SLI measurements", "date drill-down", sli + f"&start__year={NOW.year}&start__month={NOW.month - 1 or 12}"),
        ("SLI measurements", f"page {sli_page}", sli + f"&p={sli_page}"),
        ("SLI measurements", "no SLO chosen", "/admin/slos/slimeasurement/"),
    ]


def measure(client, url: str, repeat: int) -> dict:
    """Load `url` once to warm up, then `repeat` times, timing each whole request and, inside it, each
    query (connection.execute_wrapper): "database" is the time spent waiting on PostgreSQL, the rest
    is ours in Python (middleware, admin, templates)."""
    client.get(url)  # warm
    totals, dbs, timed = [], [], []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(((time.perf_counter() - started) * 1000, sql, params))

    queries = 0
    for _ in range(repeat):
        timed.clear()
        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url)
            totals.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        dbs.append(sum(t[0] for t in timed))
        queries = len(ctx)
        slowest = max(timed, key=lambda t: t[0]) if timed else None
    return {"median": statistics.median(totals), "worst": max(totals), "queries": queries,
            "db": statistics.median(dbs), "python": statistics.median(t - d for t, d in zip(totals, dbs, strict=True)),
            "slowest_query": slowest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (default 1.0)")
    parser.add_argument("--reuse", action="store_true", help="keep the rows of a previous run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("admin_scale.py needs PostgreSQL: set DATABASE_URL=postgres://...")

    project, manager, timings = prepare(args.scale, args.reuse)
    for step, seconds in timings.items():
        print(f"load: {step}: {seconds:.1f} s")
    sizes = {label: model.objects.count() for label, model in [
        ("incidents", Incident), ("timeline entries", IncidentEvent), ("SLI measurements", SLIMeasurement),
        ("evidence", EvidenceRecord), ("validation entries", ValidationEntry)]}
    print("rows: " + ", ".join(f"{label} {count:,}" for label, count in sizes.items()))

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # production serves collected files
        call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()
    client.force_login(manager)
    results = []
    print(f"\nuptime: {os.popen('uptime').read().strip()}")
    print("\n| changelist | page | median ms | worst ms | queries | database ms (median) | Python ms (median) |")
    print("|---|---|---|---|---|---|---|")
    for table, label, url in pages(project):
        result = measure(client, url, args.repeat)
        results.append((table, label, url, result))
        flag = "" if result["median"] < 150 and result["worst"] < 300 and result["queries"] <= 20 else " **over**"
        print(f"| {table} | {label} | {result['median']:.0f} | {result['worst']:.0f} | {result['queries']} | "
              f"{result['db']:.0f} | {result['python']:.0f} |{flag}")

    print(f"\nuptime: {os.popen('uptime').read().strip()}")
    table, label, url, slowest = max(results, key=lambda r: r[3]["db"])
    _, sql, params = slowest["slowest_query"]
    print(f"\npage with the most database time: {table} / {label} ({url}), median {slowest['median']:.0f} ms; "
          f"its slowest query "
          f"({slowest['slowest_query'][0]:.1f} ms):\n")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
