"""Demo articles: runbooks for the shop's alerts and SLO burn, procedures, on-call training, best practice, a lesson.

Idempotent: an article whose slug exists is left alone.
"""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from knowledgebase import services
from knowledgebase.models import Article, ArticleKind
from opsportal.roles import OPERATORS


def runbook(*, impact, verify, causes, diagnosis, escalation, owner) -> str:
    cause_rows = "\n".join(f"| {cause} | {sign} | {fix} |" for cause, sign, fix in causes)
    return f"""\
## What this alert means for users

{impact}

## How to verify it is real

{verify}

## Likely causes and mitigations

| Cause | How to recognise it | Mitigation |
|---|---|---|
{cause_rows}

## Diagnosis steps

{diagnosis}

## Escalation

{escalation}

## Owner

{owner}
"""


HIGH_ERROR_RATE = runbook(
    impact="Customers see error pages while browsing or checking out. Above 2 % of requests failing, the checkout "
           "availability SLO (99.9 %) burns its monthly budget in under a day.",
    verify="1. Open the *Checkout overview* dashboard and compare the 5xx rate with the last 24 hours.\n"
           "2. Confirm the errors come from real traffic, not synthetic probes:\n\n"
           "```promql\nsum(rate(http_requests_total{service=\"checkout\",code=~\"5..\"}[5m]))\n"
           "  / sum(rate(http_requests_total{service=\"checkout\"}[5m]))\n```",
    causes=[("Bad deploy", "Errors start within minutes of a release", "`kubectl rollout undo deploy/checkout`"),
            ("Database connection pool exhausted", "`too many connections` in logs", "Scale down batch jobs, "
             "raise the pool only with the DBA"),
            ("Payment provider errors", "5xx only on `/api/pay`", "Follow the PaymentProviderDown runbook")],
    diagnosis="1. Check the last deploys: `kubectl rollout history deploy/checkout`.\n"
              "2. Find the failing endpoints:\n\n```bash\nkubectl logs -l app=checkout --since=15m "
              "| grep -E 'status=5[0-9]{2}' | awk '{print $7}' | sort | uniq -c | sort -rn | head\n```\n"
              "3. Check database saturation on the *Postgres* dashboard.",
    escalation="- **15 minutes** without a clear cause: page the checkout owner.\n"
               "- **20 minutes** or error rate above 5 %: declare a SEV2 incident, page the incident commander.",
    owner="Shop SRE (Omar Operator).",
)

DEMO_ARTICLES = [
    {
        "slug": "runbook-high-error-rate", "kind": ArticleKind.RUNBOOK, "title": "HighErrorRate: checkout errors",
        "summary": "Checkout returns 5xx responses above the SLO threshold.",
        "alert_names": ["HighErrorRate"], "services": ["checkout"], "tags": ["checkout", "slo"], "owner": "operator",
        "body": HIGH_ERROR_RATE,
        "second_edit": ("Escalate after 10 minutes (was 15), per the September postmortem.",
                        HIGH_ERROR_RATE.replace("**15 minutes**", "**10 minutes**", 1)
                        + "\nSee also the [lesson learned on payment provider timeouts]"
                          "(/kb/lesson-payment-provider-timeouts/).\n"),
    },
    {
        "slug": "runbook-checkout-latency-high", "kind": ArticleKind.RUNBOOK,
        "title": "CheckoutLatencyHigh: slow checkout",
        "summary": "p99 checkout latency above 800 ms for 10 minutes.",
        "alert_names": ["CheckoutLatencyHigh"], "services": ["checkout"], "tags": ["checkout", "latency"],
        "owner": "operator",
        "body": runbook(
            impact="Checkout pages load slowly; above 2 s customers abandon carts (conversion drops about 7 % per "
                   "second).",
            verify="Compare p99 latency with p50 on the *Checkout overview* dashboard; a single slow pod shows as a "
                   "p99-only spike.",
            causes=[("Slow database queries", "`pg_stat_activity` shows long-running queries",
                     "Cancel the query, add the missing index later"),
                    ("CPU throttling", "Throttled seconds rising in the pod dashboard", "Raise the CPU limit"),
                    ("Slow payment provider", "Latency only on `/api/pay`", "Enable the provider fallback")],
            diagnosis="```bash\nkubectl top pods -l app=checkout\n"
                      "psql -c \"select pid, now()-query_start, query from pg_stat_activity "
                      "where state='active' order by 2 desc limit 5\"\n```",
            escalation="- **15 minutes**: page the checkout owner.\n- **30 minutes**: declare an incident.",
            owner="Shop SRE (Omar Operator).",
        ),
    },
    {
        "slug": "runbook-payment-provider-down", "kind": ArticleKind.RUNBOOK,
        "title": "PaymentProviderDown: card payments failing",
        "summary": "The payment provider's API fails or times out; customers cannot pay by card.",
        "alert_names": ["PaymentProviderDown", "PaymentProviderErrors"], "services": ["payments"],
        "tags": ["payments", "third-party"], "owner": "oncall",
        "body": runbook(
            impact="Card payments fail; wallets still work. Every minute costs about 400 orders at peak.",
            verify="1. Check the provider status page.\n2. Run a test payment against the sandbox:\n\n"
                   "```bash\ncurl -sf -X POST https://payments.shop.example/internal/selftest\n```",
            causes=[("Provider outage", "Status page red, all regions fail", "Switch to the secondary provider"),
                    ("Expired API credentials", "HTTP 401 from the provider", "Rotate the key from the vault"),
                    ("Network egress blocked", "Timeouts, no HTTP status", "Check the egress proxy")],
            diagnosis="```bash\nkubectl logs -l app=payments --since=10m | grep provider | tail -50\n```",
            escalation="- **5 minutes**: switch providers (no approval needed).\n"
                       "- **15 minutes**: SEV1, page the payments owner and the incident commander.",
            owner="Payments team (Olga Oncall).",
        ),
    },
    {
        "slug": "runbook-search-index-stale", "kind": ArticleKind.RUNBOOK,
        "title": "SearchIndexStale: search shows old products",
        "summary": "The product search index has not been refreshed for 30 minutes.",
        "alert_names": ["SearchIndexStale"], "services": ["search"], "tags": ["search"], "owner": "operator",
        "body": runbook(
            impact="New products and price changes do not appear in search; sold-out items still show.",
            verify="Search for a product created in the last hour; check the *indexer lag* panel.",
            causes=[("Indexer crashed", "No indexer pods running", "`kubectl rollout restart deploy/indexer`"),
                    ("Queue backlog", "Queue depth growing", "Scale the indexer to 6 replicas")],
            diagnosis="```bash\nkubectl get pods -l app=indexer\n```",
            escalation="- **30 minutes**: page the search owner.",
            owner="Shop SRE (Omar Operator).",
        ),
    },
    {
        "slug": "runbook-catalogue-stock-sync", "kind": ArticleKind.RUNBOOK,
        "title": "CatalogueStockSyncFailing: stock levels out of date",
        "summary": "The warehouse stock sync has failed three runs in a row.",
        "alert_names": ["CatalogueStockSyncFailing"], "services": ["catalogue"], "tags": ["catalogue"],
        "owner": "oncall", "stale_days": 150,
        "body": runbook(
            impact="Customers may order items that are out of stock; orders are cancelled later.",
            verify="Compare the stock of three popular items with the warehouse export.",
            causes=[("Warehouse SFTP unreachable", "Connection refused in the sync job log",
                     "Ask the warehouse team to restart the SFTP service")],
            diagnosis="```bash\nkubectl logs job/stock-sync --tail=100\n```",
            escalation="- **1 hour**: page the catalogue owner.",
            owner="Catalogue team (Olga Oncall).",
        ),
    },
    {
        "slug": "runbook-pod-crashlooping", "kind": ArticleKind.RUNBOOK, "project": None,
        "title": "KubePodCrashLooping: a pod keeps restarting",
        "summary": "Organisation-wide runbook for any service whose pods restart repeatedly.",
        "alert_names": ["KubePodCrashLooping"], "tags": ["kubernetes"], "owner": "lead",
        "body": runbook(
            impact="Depends on the service: fewer healthy replicas, or an outage when all replicas crash.",
            verify="`kubectl get pods -A | grep CrashLoopBackOff`",
            causes=[("Bad configuration", "Exit on start with a config error", "Roll back the config change"),
                    ("Out of memory", "`OOMKilled` in `kubectl describe pod`", "Raise the memory limit")],
            diagnosis="```bash\nkubectl describe pod <pod>\nkubectl logs <pod> --previous\n```",
            escalation="- **15 minutes**: page the owning team of the service.",
            owner="Platform team (Lars Lead).",
        ),
    },
    {
        "slug": "runbook-slo-error-budget-burn", "kind": ArticleKind.RUNBOOK, "project": None,
        "title": "SLOErrorBudgetBurn: error budget burning too fast",
        "summary": "Multi-window burn-rate alert from an SLO: the budget runs out long before the window ends.",
        "alert_names": ["SLOErrorBudgetBurn"], "tags": ["slo"], "owner": "lead",
        "body": runbook(
            impact="Users already see errors or slowness at a rate that exhausts the SLO's error budget early: "
                   "a fast burn (14.4x) empties a 30-day budget in about 2 days, a slow burn (6x) in 5.",
            verify="Open the SLO in OpsPortal (*SLOs*), compare the short and long window burn rates; both above "
                   "the threshold means it is real, a short-window spike alone is noise.",
            causes=[("Service degradation", "The service's own error or latency alert fires too",
                     "Follow that alert's runbook"),
                    ("Bad SLI query", "SLI drops to 0 or jumps after a metrics change", "Fix the recording rule")],
            diagnosis="```promql\nslo:error_ratio:rate5m / (1 - slo:objective:ratio)\n```",
            escalation="- Fast burn: page the service owner **now**; declare an incident after **15 minutes**.\n"
                       "- Slow burn: raise it at the next daily operations review.",
            owner="Platform team (Lars Lead).",
        ),
    },
    {
        "slug": "incident-response-procedure", "kind": ArticleKind.INCIDENT_PROCEDURE, "project": None,
        "title": "Incident response procedure", "owner": "lead", "tags": ["incident", "on-call"],
        "summary": "How we declare, run and close incidents: roles, severities, communication.",
        "body": """\
## When this procedure applies

Any customer-visible degradation, SLO burn-rate alert, or security concern.

## Severities

| Severity | Meaning | Response |
|---|---|---|
| SEV1 | Outage or data loss | Page incident commander now, updates every 15 min |
| SEV2 | Major degradation | Incident commander within 15 min, updates every 30 min |
| SEV3 | Minor, workaround exists | Next business hours |

## Roles

- **Incident commander**: coordinates, decides, delegates. Does not debug.
- **Communications lead**: status page and stakeholder updates.
- **Operations lead**: hands on keyboard.

## Steps

1. Declare the incident in OpsPortal (or let Alertmanager open it).
2. Assign the incident commander and communications lead.
3. Stabilise first, find the root cause later.
4. Record decisions in the incident timeline as you go.

!!! warning "Roll back first"
    If a deploy happened in the last hour, roll it back before debugging.

## Closing the incident

Resolve when the SLI is back within objective for 30 minutes; SEV1 and SEV2 need a postmortem within 5 days.
""",
    },
    {
        "slug": "customer-communication-during-incidents", "kind": ArticleKind.INCIDENT_PROCEDURE,
        "title": "Customer communication during incidents", "owner": "manager", "tags": ["incident"],
        "summary": "Status page templates and who approves customer messages.",
        "body": "## When this procedure applies\n\nSEV1 and SEV2 incidents with customer impact.\n\n"
                "## Steps\n\n1. Post *Investigating* within 15 minutes.\n2. Update at least every 30 minutes.\n"
                "3. Post *Resolved* with a one-line cause.\n\n## Templates\n\n"
                "> We are investigating problems with checkout. Some payments may fail.\n",
    },
    {
        "slug": "oncall-training", "kind": ArticleKind.TRAINING, "project": None,
        "title": "On-call onboarding", "owner": "lead", "tags": ["on-call", "training"],
        "summary": "What every new on-call engineer reads before their first shift.",
        "assign_group": OPERATORS, "assign_overdue": ["viewer"], "completed_by": ["oncall"],
        "body": """\
## Goal

After this training you can take a shift: acknowledge pages, find the runbook, declare an incident.

## Material

1. Read the [incident response procedure](/kb/incident-response-procedure/).
2. Read the runbooks for the checkout and payments alerts.
3. Shadow one shift.

## Exercises

- Find the runbook for `HighErrorRate` with the knowledge base search.
- Open a test incident and resolve it.

## Check your understanding

- When do you roll back before debugging?
- Who updates the status page?
""",
    },
    {
        "slug": "best-practice-safe-deploys", "kind": ArticleKind.BEST_PRACTICE, "project": None,
        "title": "Safe deploys and fast rollbacks", "owner": "lead", "tags": ["deploys"],
        "summary": "Canary first, watch the SLO, roll back without asking.",
        "body": "## Practice\n\n1. Deploy to a canary (5 % of traffic) for 15 minutes.\n"
                "2. Watch error rate and latency against the SLO.\n3. Roll back at the first doubt: "
                "`kubectl rollout undo deploy/<service>`.\n\n## Why\n\nMost incidents start with a change; "
                "the fastest mitigation is undoing it.\n",
    },
    {
        "slug": "checkout-architecture", "kind": ArticleKind.KNOWLEDGE, "title": "Checkout architecture overview",
        "owner": "operator", "services": ["checkout", "payments"], "tags": ["checkout", "architecture"],
        "summary": "How a cart becomes an order: services, queues and dependencies.",
        "body": "## Request path\n\nBrowser → CDN → checkout → payments → provider.\n\n"
                "## Dependencies\n\n| Dependency | Failure effect |\n|---|---|\n| Postgres | checkout down |\n"
                "| Payment provider | card payments fail |\n",
    },
    {
        "slug": "lesson-payment-provider-timeouts", "kind": ArticleKind.LESSON_LEARNED,
        "title": "Lessons learned: payment provider timeouts", "owner": "manager", "tags": ["payments", "postmortem"],
        "services": ["payments"],
        "summary": "A 40-minute card payment outage: what we learned.",
        "body": "## What happened\n\nThe provider's API slowed down; our 30 s timeout tied up all workers.\n\n"
                "## Lessons\n\n- Timeouts shorter than the user's patience (5 s).\n- A circuit breaker to the "
                "secondary provider.\n- The runbook now says to switch providers after 5 minutes.\n",
    },
]


def seed(context: dict) -> None:
    users, project, shop_services = context["users"], context["project"], context["services"]
    now = timezone.now()
    articles = {}
    for spec in DEMO_ARTICLES:
        existing = Article.objects.filter(slug=spec["slug"]).first()
        if existing is not None:
            articles[spec["slug"]] = existing
            continue
        author = users[spec.get("owner", "operator")]
        article = services.article_create(
            actor=author, kind=spec["kind"], title=spec["title"], slug=spec["slug"], summary=spec.get("summary", ""),
            body=spec["body"], project=spec.get("project", project), owner=author,
            services=[shop_services[name] for name in spec.get("services", [])], tags=spec.get("tags", []),
            alert_names=spec.get("alert_names", []), change_note="First version",
        )
        if "second_edit" in spec:
            note, body = spec["second_edit"]
            article = services.article_update(article=article, actor=users["lead"], base_version=article.version,
                                              body=body, change_note=note)
        article = services.article_publish(article=article, actor=author)
        if spec.get("stale_days"):
            article = services.article_set_last_review(
                article=article, reviewed_at=now - timedelta(days=spec["stale_days"]), reviewer=author)
        if spec.get("assign_group"):
            services.training_assign(article=article, due_on=timezone.localdate() + timedelta(days=14),
                                     actor=author, groups=[Group.objects.get(name=spec["assign_group"])])
            services.training_assign(article=article, due_on=timezone.localdate() - timedelta(days=3), actor=author,
                                     users=[users[name] for name in spec.get("assign_overdue", [])])
            for name in spec.get("completed_by", []):
                assignment = article.assignments.get(user=users[name])
                services.training_complete(assignment=assignment, actor=users[name])
        articles[spec["slug"]] = article
    context["articles"] = articles
