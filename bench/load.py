"""Load test of the production shape (issue 17): bin/run-prod on PostgreSQL and Redis.

    .venv/bin/python bench/load.py                      # 60 s, 50 API users, storm 20/s over 200 groups
    .venv/bin/python bench/load.py --duration 20 --users 10 --storm-rate 5    # a quick look

It creates a fresh PostgreSQL database (--db), seeds the demo (`seed_demo --force`), makes an API
token, an Alertmanager integration and a push SLO, starts `bin/run-prod --web 4 --qclusters 2`
with DEBUG off, then runs for --duration seconds, all at once:

- --users API users (threads, each with a kept-alive connection where the server keeps it, --think
  seconds between requests):
  reads of incident, SLO and evidence lists and of SLO status; writes of SLI measurements (one
  new interval each) and incident declarations;
- an Alertmanager storm: --storm-rate notifications a second over --groups distinct groups
  (v4 payloads, every group re-notified several times, as Alertmanager does);
- --admin-users logged-in admin sessions viewing the home page and two changelists.

Afterwards it waits for the task queue to drain and checks that every alert group became exactly
one incident, that every accepted measurement and declaration is stored, and prints requests per
second, p50/p95/p99 per endpoint and errors (also as JSON with --json FILE). Exit status 1 when a
5xx happened or something was lost. The load generator runs on the same machine as the portal.
"""

import argparse
import http.client
import http.cookiejar
import json
import os
import queue
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = str(REPO / ".venv" / "bin" / "python")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--think", type=float, default=0.5, help="seconds an API user waits between requests "
                   "(uniform from half to one and a half times this)")
    p.add_argument("--think-max", type=float, help="wait uniformly from --think to this instead "
                   "(Locust's between(min, max); e.g. --think 1 --think-max 5)")
    p.add_argument("--storm-rate", type=float, default=20, help="Alertmanager notifications per second")
    p.add_argument("--groups", type=int, default=200)
    p.add_argument("--alert-intake", choices=["queued", "sync"], default="queued",
                   help="OPSPORTAL_ALERT_INTAKE of the server (docs/alerts.md)")
    p.add_argument("--admin-users", type=int, default=3)
    p.add_argument("--web", type=int, default=4, help="gunicorn workers")
    p.add_argument("--threads", type=int, help="threads per gunicorn worker (default: gunicorn.conf.py's, 1)")
    p.add_argument("--qclusters", type=int, default=2)
    p.add_argument("--port", type=int, default=8610)
    p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL (no db)")
    p.add_argument("--db", default="opsportal_load")
    p.add_argument("--redis", default=os.environ.get("OPSPORTAL_REDIS_URL", "redis://127.0.0.1:6379/6"))
    p.add_argument("--json", help="write the results here too")
    return p.parse_args()


# --- the portal ---------------------------------------------------------------------------------

def portal_env(args, var_dir: Path) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "DATABASE_URL": f"{args.pg}/{args.db}",
        "OPSPORTAL_REDIS_URL": args.redis,
        "OPSPORTAL_Q_NAME": f"load-{uuid.uuid4().hex[:8]}",
        "OPSPORTAL_VAR_DIR": str(var_dir),
        "OPSPORTAL_DEMO_PASSWORD": "load-test-password",
        "HOST": "127.0.0.1", "PORT": str(args.port),
        **({"GUNICORN_THREADS": str(args.threads)} if args.threads else {}),
        # Request lines at INFO would be the busiest thing on the box; warnings and errors still show.
        "LOG_LEVEL": "WARNING",
        # Responder emails go to a local SMTP sink started by this script (see SMTPSink).
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        # Fifty simulated users share one API token, so the per-user throttle (docs/security.md) would
        # answer most requests with 429 on a fast machine; the bench measures capacity, not the throttle.
        "OPSPORTAL_THROTTLE_USER": os.environ.get("OPSPORTAL_THROTTLE_USER", "1000000/min"),
        "OPSPORTAL_THROTTLE_ALERTS": os.environ.get("OPSPORTAL_THROTTLE_ALERTS", "1000000/min"),
        # queued (bin/run-prod's default): the webhook stores, a worker applies; sync: applied in the request.
        "OPSPORTAL_ALERT_INTAKE": args.alert_intake,
    }


class SMTPSink:
    """A local SMTP server that accepts and drops every message (aiosmtpd, from the test extra), in a
    process of its own: in this script's process, its hundreds of sessions in the storm's first
    seconds (responder emails of every new incident) would hold the interpreter the timed clients
    need, and their measured latency would include it."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process = subprocess.Popen([PY, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                                         "-l", f"127.0.0.1:{self.port}"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the SMTP sink did not start")
                time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def manage(env, *argv, code: str | None = None) -> str:
    cmd = [PY, "manage.py", *argv] if code is None else [PY, "manage.py", "shell", "-c", code]
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def recreate_database(args):
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        conn.execute(f'CREATE DATABASE "{args.db}"')


SETUP = """
import json
from opsportal.models import Project, Service
from slos.services import slo_create
project = Project.objects.get(slug="shop")
service = Service.objects.filter(project=project).first()
slo = slo_create(project=project, service=service, name="Load test availability", slug="load-test-availability",
                 objective="99.9")
print(json.dumps({"slo": slo.pk}))
"""

VERIFY = """
import json
from django.db.models import Count
from incidents.models import AlertNotification, Incident
from slos.models import SLIMeasurement
# Only the storm's groups (the demo data has Alertmanager incidents of its own).
by_group = list(Incident.objects.filter(source="alertmanager", group_key__contains='{group="g')
                .values("group_key").annotate(n=Count("id"))
                .values_list("n", flat=True))
print(json.dumps({
    "alert_groups": len(by_group), "alert_groups_with_one_incident": sum(1 for n in by_group if n == 1),
    "alert_incidents": sum(by_group),
    "measurements": SLIMeasurement.objects.filter(slo__slug="load-test-availability").count(),
    "declared": Incident.objects.filter(source="api", title__startswith="Load test").count(),
    # Only the storm's (the demo's own Alertmanager incident came through the queue too).
    "notifications_stored": AlertNotification.objects.filter(integration__name="load-test").count(),
    "notifications_waiting": AlertNotification.objects.filter(status="queued").count(),
    "notifications_dead": AlertNotification.objects.filter(status="failed").count(),
}))
"""
# Queued alert notifications not yet applied (the workers' backlog in the database).
WAITING = """
from incidents.models import AlertNotification
print(AlertNotification.objects.filter(status="queued").count())
"""


# --- the load ---------------------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple[str, float, int]] = []
        self.began: list[float] = []  # when each row's request started, seconds into the load
        self.t0 = time.perf_counter()

    def add(self, name, seconds, status, started):
        with self.lock:
            self.rows.append((name, seconds, status))
            self.began.append(started - self.t0)


class Client:
    """One connection, kept alive while the server keeps it (gunicorn's sync workers close it after
    each response, gthread workers keep it); reconnects after an error (60 s timeout, a 599)."""

    # gunicorn closes a kept-alive connection idle for GUNICORN_KEEPALIVE (5 s); a client idle longer
    # (--think above it) opens a new one first, as an HTTP client with a pool does.
    IDLE_LIMIT = 4.0

    def __init__(self, port, headers=None):
        self.port, self.headers, self.conn, self.last_used = port, headers or {}, None, 0.0

    def request(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.headers, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        # Only reads are retried (a kept-alive connection the server closed): a retried POST whose
        # first attempt did reach the server would store twice and look like a bug of the portal.
        if self.conn is not None and time.monotonic() - self.last_used > self.IDLE_LIMIT:
            self.conn.close()
            self.conn = None
        for attempt in ((1, 2) if method == "GET" else (2,)):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                payload = response.read()
                self.last_used = time.monotonic()
                return response.status, payload, response
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def timed(recorder, name, func):
    started = time.perf_counter()
    try:
        status, payload, _ = func()
    except Exception:
        status, payload = 599, b""  # connection error: counted as a server error
    recorder.add(name, time.perf_counter() - started, status, started)
    return status, payload


def think_range(args) -> tuple[float, float]:
    """Seconds an API user waits between requests, drawn uniformly from this range."""
    if args.think_max is not None:
        return args.think, args.think_max
    return args.think * 0.5, args.think * 1.5


def api_user(args, recorder, stop, token, slo_ids, load_slo, counter, accepted):
    client = Client(args.port, {"Authorization": f"Token {token}"})
    rng = random.Random()
    ops = [
        ("GET incidents", 20), ("GET slos", 15), ("GET slo status", 15), ("GET evidence", 15),
        ("POST measurement", 25), ("POST incident", 5),
    ]
    names, weights = zip(*ops, strict=True)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    # Users arrive spread over one pause, not all in the same millisecond: 50 threads' first
    # requests at once would be a burst no population of people makes.
    stop.wait(rng.uniform(0, think_range(args)[1]))
    while not stop.is_set():
        op = rng.choices(names, weights)[0]
        if op == "GET incidents":
            timed(recorder, op, lambda: client.request("GET", "/api/v1/incidents/?project=shop"))
        elif op == "GET slos":
            timed(recorder, op, lambda: client.request("GET", "/api/v1/slos/?project=shop"))
        elif op == "GET slo status":
            slo = rng.choice(slo_ids)
            timed(recorder, op, lambda slo=slo: client.request("GET", f"/api/v1/slos/{slo}/status/"))
        elif op == "GET evidence":
            timed(recorder, op, lambda: client.request("GET", "/api/v1/evidence/?project=shop"))
        elif op == "POST measurement":
            with counter["lock"]:
                counter["n"] += 1
                n = counter["n"]
            start = base + timedelta(minutes=n)  # every write is a new interval
            row = {"start": start.isoformat(), "end": (start + timedelta(minutes=1)).isoformat(),
                   "good": 999, "total": 1000}
            status, _ = timed(recorder, op, lambda row=row: client.request(
                "POST", f"/api/v1/slos/{load_slo}/measurements/", [row]))
            with counter["lock"]:
                if status == 200:
                    accepted["measurements"] += 1
                elif status == 599:  # timed out: the server may still have stored it
                    accepted["measurements_unknown"] += 1
        else:
            status, _ = timed(recorder, op, lambda: client.request("POST", "/api/v1/incidents/", {
                "project": "shop", "title": f"Load test {uuid.uuid4().hex[:6]}", "severity": "SEV4"}))
            with counter["lock"]:
                if status == 201:
                    accepted["declared"] += 1
                elif status == 599:
                    accepted["declared_unknown"] += 1
        stop.wait(rng.uniform(*think_range(args)))


def alertmanager_payload(group: int, starts_at: datetime) -> dict:
    """One group's notification. `starts_at` is when its alert began firing: the storm starts it a
    minute before the load (a rule's `for: 1m`), so the incidents' response targets run from then,
    as in a real storm. (With a startsAt days old every incident is born past its acknowledge and
    resolve targets, and the minutely target check sends two breach emails for each at once.)"""
    labels = {"alertname": "LoadTestErrors", "group": f"g{group:03d}", "severity": "critical",
              "service": "checkout"}
    return {
        "version": "4", "groupKey": f'{{}}:{{group="g{group:03d}"}}', "truncatedAlerts": 0, "status": "firing",
        "receiver": "opsportal", "groupLabels": {"group": f"g{group:03d}"}, "commonLabels": labels,
        "commonAnnotations": {"summary": f"Load test group {group}"}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": "firing", "labels": labels, "annotations": {"summary": f"Load test group {group}"},
            "startsAt": starts_at.isoformat().replace("+00:00", "Z"), "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": f"{group:016x}",
        }],
    }


def storm(args, recorder, stop, integration_token, sent):
    """--storm-rate notifications a second, paced by a clock, sent by a few threads so a slow
    response does not lower the rate."""
    work: queue.Queue = queue.Queue()
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)

    def sender():
        client = Client(args.port, {"Authorization": f"Bearer {integration_token}"})
        while True:
            item = work.get()
            if item is None:
                return
            timed(recorder, "POST alertmanager", lambda item=item: client.request(
                "POST", "/api/v1/alerts/alertmanager/", alertmanager_payload(item, began)))

    senders = [threading.Thread(target=sender, daemon=True) for _ in range(8)]
    for thread in senders:
        thread.start()
    started, i = time.monotonic(), 0
    while not stop.is_set():
        due = started + i / args.storm_rate
        if stop.wait(max(due - time.monotonic(), 0)):
            break
        work.put(i % args.groups)
        sent["storm"] += 1
        i += 1
    for _ in senders:
        work.put(None)
    for thread in senders:
        thread.join(60)


ADMIN_PAGES = [("GET admin home", "/admin/"), ("GET admin incidents", "/admin/incidents/incident/"),
               ("GET admin slos", "/admin/slos/slo/")]


def admin_login(port, password):
    """A signed-in admin session as the demo's manager: (opener, base URL)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    opener.open(f"{base}/admin/login/", timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": "manager", "password": password, "csrfmiddlewaretoken": csrf,
                                   "next": "/admin/"}).encode()
    opener.open(urllib.request.Request(f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/"}),
                timeout=30).read()
    return opener, base


def admin_user(args, recorder, stop, password):
    opener, base = admin_login(args.port, password)
    rng = random.Random()
    while not stop.is_set():
        name, path = rng.choice(ADMIN_PAGES)

        def get(path=path):
            try:
                response = opener.open(f"{base}{path}", timeout=30)
                return response.status, response.read(), response
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read(), exc

        timed(recorder, name, get)
        stop.wait(1.0 * rng.uniform(0.5, 1.5))


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(recorder, duration):
    by_name: dict[str, list] = {}
    for name, seconds, status in recorder.rows:
        by_name.setdefault(name, []).append((seconds, status))
    lines, results = [], {}
    header = f"{'endpoint':<22}{'requests':>9}{'rps':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'5xx':>6}{'4xx':>6}"
    lines.append(header)
    for name in sorted(by_name):
        rows = by_name[name]
        ms = [s * 1000 for s, _ in rows]
        e5 = sum(1 for _, st in rows if st >= 500)
        e4 = sum(1 for _, st in rows if 400 <= st < 500)
        results[name] = {"requests": len(rows), "rps": round(len(rows) / duration, 1),
                         "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
                         "p99_ms": round(percentile(ms, 99), 1), "errors_5xx": e5, "errors_4xx": e4,
                         "mean_ms": round(statistics.fmean(ms), 1)}
        r = results[name]
        lines.append(f"{name:<22}{r['requests']:>9}{r['rps']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}"
                     f"{e5:>6}{e4:>6}")
    total = len(recorder.rows)
    lines.append(f"{'all':<22}{total:>9}{round(total / duration, 1):>8}")
    windows = reads_by_window(recorder, duration)
    lines.append("API reads p95 ms by 10 s of the load: " + ", ".join(
        f"{w['from_s']}-{w['from_s'] + 10} s {w['p95_ms']:.0f} ({w['requests']})" for w in windows))
    return "\n".join(lines), results, windows


def reads_by_window(recorder, duration, width=10):
    """The reads' p95 per window of the load: a storm's first seconds (new groups opening incidents)
    and the rest are different regimes, which one p95 over the whole run hides."""
    buckets: dict[int, list[float]] = {}
    for (name, seconds, _), began in zip(recorder.rows, recorder.began, strict=True):
        if name.startswith("GET ") and not name.startswith("GET admin") and 0 <= began < duration:
            buckets.setdefault(int(began // width) * width, []).append(seconds * 1000)
    return [{"from_s": start, "requests": len(values), "p95_ms": round(percentile(values, 95), 1)}
            for start, values in sorted(buckets.items())]


def wait_ready(port, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("bin/run-prod exited before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("the portal did not become ready")


def warm_up(port, token, slo_ids, password):
    """A few untimed reads, so every gunicorn worker has imported its views, compiled the admin
    templates the admin users view and opened its connections: the load measures a running
    portal, not its first requests after a start."""
    client = Client(port, {"Authorization": f"Token {token}"})
    opener, base = admin_login(port, password)
    for _ in range(16):
        for path in ("/api/v1/incidents/?project=shop", "/api/v1/slos/?project=shop",
                     f"/api/v1/slos/{slo_ids[0]}/status/", "/api/v1/evidence/?project=shop", "/admin/login/"):
            client.request("GET", path)
        client.conn.close()
        client.conn = None  # a new connection may land on another worker
        for _, path in ADMIN_PAGES:
            opener.open(f"{base}{path}", timeout=30).read()  # a connection per request (urllib)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), children first found."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def queue_length(env) -> int:
    import redis

    return redis.from_url(env["OPSPORTAL_REDIS_URL"]).llen(f"django_q:{env['OPSPORTAL_Q_NAME']}:q")


def main():
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="opsportal-load-"))
    env = portal_env(args, var_dir)
    sink = SMTPSink()
    env["EMAIL_PORT"] = str(sink.port)
    print(f"setting up a fresh database {args.db} ...", flush=True)
    recreate_database(args)
    manage(env, "migrate", "--noinput")
    manage(env, "setup_schedules")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--force")
    token = manage(env, "create_api_token", "operator").strip().splitlines()[-1]
    integration = manage(env, "create_alert_integration", "shop", "--name", "load-test",
                         "--default-severity", "SEV3").strip().splitlines()[-1]
    load_slo = json.loads(manage(env, code=SETUP).strip().splitlines()[-1])["slo"]

    print(f"starting bin/run-prod --web {args.web} --qclusters {args.qclusters} ...", flush=True)
    log = open(var_dir / "run-prod.log", "w")
    server = subprocess.Popen([str(REPO / "bin" / "run-prod"), "--web", str(args.web), "--qclusters",
                               str(args.qclusters), "--skip-deploy-steps"], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(args.port, server)
        status, payload, _ = Client(args.port, {"Authorization": f"Token {token}"}).request(
            "GET", "/api/v1/slos/?project=shop&page_size=100")
        slo_ids = [row["id"] for row in json.loads(payload)["results"]]

        warm_up(args.port, token, slo_ids, env["OPSPORTAL_DEMO_PASSWORD"])
        recorder, stop = Recorder(), threading.Event()
        counter, sent = {"n": 0, "lock": threading.Lock()}, {"storm": 0}
        accepted = {"measurements": 0, "declared": 0, "measurements_unknown": 0, "declared_unknown": 0}
        threads = [threading.Thread(target=api_user, args=(args, recorder, stop, token, slo_ids, load_slo,
                                                           counter, accepted)) for _ in range(args.users)]
        threads += [threading.Thread(target=admin_user, args=(args, recorder, stop, env["OPSPORTAL_DEMO_PASSWORD"]))
                    for _ in range(args.admin_users)]
        threads.append(threading.Thread(target=storm, args=(args, recorder, stop, integration, sent)))
        think = "{:g}-{:g} s".format(*think_range(args))
        print(f"running {args.duration:g} s: {args.users} API users (think {think}), storm {args.storm_rate:g}/s over "
              f"{args.groups} groups, {args.admin_users} admin users ...", flush=True)
        began = time.monotonic()
        recorder.t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(args.duration)
        stop.set()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - began

        deadline = time.monotonic() + 120
        while queue_length(env) and time.monotonic() < deadline:
            time.sleep(1)
        while int(manage(env, code=WAITING).strip().splitlines()[-1]) and time.monotonic() < deadline:
            time.sleep(1)  # the sweep applies what a lost task left, within a minute
        drained = time.monotonic() - began - elapsed
        left = queue_length(env)
        stored = json.loads(manage(env, code=VERIFY).strip().splitlines()[-1])
    finally:
        # run-prod starts each process in a session of its own: note them all before stopping it, so
        # a qcluster still finishing a task after the grace period is killed, not left running.
        family = descendants(server.pid)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        sink.stop()

    table, results, windows = report(recorder, args.duration)
    groups_hit = min(sent["storm"], args.groups)
    checks = {
        "alert groups sent": groups_hit,
        "alert groups with exactly one incident": stored["alert_groups_with_one_incident"],
        "alert incidents": stored["alert_incidents"],
        "measurements accepted": accepted["measurements"], "measurements stored": stored["measurements"],
        "incidents declared": accepted["declared"], "declared incidents stored": stored["declared"],
        "writes timed out (outcome unknown)": accepted["measurements_unknown"] + accepted["declared_unknown"],
        "tasks left in the queue": left,
        "alert notifications accepted (202)": sum(1 for name, _, code in recorder.rows
                                                  if name == "POST alertmanager" and code == 202),
        # Repeats that change nothing are applied in the request (docs/incidents.md): 200, no stored row.
        "alert notifications applied at once (200)": sum(1 for name, _, code in recorder.rows
                                                         if name == "POST alertmanager" and code == 200),
        "alert notifications stored": stored["notifications_stored"],
        "alert notifications not applied (queued, dead-lettered)": (stored["notifications_waiting"],
                                                                    stored["notifications_dead"]),
        "seconds from the end of the load until the backlog was applied": round(drained, 1),
    }
    ok = (
        stored["alert_groups"] == groups_hit == stored["alert_groups_with_one_incident"] == stored["alert_incidents"]
        # A write whose response timed out (599, counted as an error) may or may not be stored.
        and accepted["measurements"] <= stored["measurements"] <= accepted["measurements"] + accepted[
            "measurements_unknown"]
        and accepted["declared"] <= stored["declared"] <= accepted["declared"] + accepted["declared_unknown"]
        and all(r["errors_5xx"] == 0 for r in results.values())
        and checks["alert notifications accepted (202)"] == stored["notifications_stored"]
        and checks["alert notifications accepted (202)"] + checks["alert notifications applied at once (200)"]
        == sent["storm"]
        and stored["notifications_waiting"] == stored["notifications_dead"] == 0
    )
    print(table)
    print(f"load window {args.duration:g} s (rps over it); {elapsed:.1f} s until the last in-flight request "
          f"returned; storm notifications sent {sent['storm']}")
    for key, value in checks.items():
        print(f"  {key}: {value}")
    print("RESULT:", "OK (0 5xx, nothing lost)" if ok else "PROBLEM (see above)")
    print(f"server log: {var_dir / 'run-prod.log'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "elapsed_s": elapsed, "endpoints": results,
                                               "reads_by_window": windows, "checks": checks, "ok": ok,
                                               # every request: endpoint, start (s into the load), seconds, status
                                               "requests": [[name, round(began, 3), round(seconds, 4), status]
                                                            for (name, seconds, status), began
                                                            in zip(recorder.rows, recorder.began, strict=True)]},
                                              indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
