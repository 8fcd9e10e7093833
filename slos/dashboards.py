"""The SLO dashboard's numbers (one selector for the admin page and its API twin) and its charts.

Queries are constant whatever the number of SLOs or the period: the SLO list, their tiers, the
monthly attainment of all of them (one statement per zone), and for the SLO in focus its hourly
rollups, the running hour's raw rows and its alerts.
"""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q

from opsportal.charts import Chart, Series
from slos import budget
from slos.history import day_ends, history_since, project_monthly_attainment, slo_history, totals_reader
from slos.models import SLO, BurnRateTier, SLOAlert
from slos.windows import duration_label, slo_window

BURN_RATE_DAYS = 7
FOUR_PLACES = Decimal("0.0001")  # hourly burn rates over the last week of the range


def _slos(project, params):
    slos = SLO.objects.active().filter(project=project).select_related("service", "project").prefetch_related(
        Prefetch("tiers", queryset=BurnRateTier.objects.order_by("long_window", "name"))
    ).order_by("service__name", "name")
    service = (params.get("service") or "").strip()
    if service:
        slos = slos.filter(service__slug=service)
    wanted = (params.get("slo") or "").strip()
    if wanted:
        slos = slos.filter(Q(slug=wanted) | Q(pk=int(wanted)) if wanted.isdigit() else Q(slug=wanted))
        if not slos:
            raise ValidationError({"slo": f"No SLO {wanted!r} in project {project.slug}."})
    return list(slos)


def _pct(value: Fraction | None):
    return budget.to_percent(value)


def _burn_rate(totals, objective) -> Decimal | None:
    """budget.to_decimal(budget.burn_rate(...)) without building Fractions (thousands per page):
    the same division at 60 digits and the same banker's rounding to 4 places."""
    if not totals.total:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(totals.bad * 100) / (Decimal(totals.total) * (100 - Decimal(objective)))
        return exact.quantize(FOUR_PLACES, rounding=ROUND_HALF_EVEN)


def _focus(slo: SLO, start: datetime, end: datetime) -> dict:
    """Burn-down of the current window, daily SLI, hourly burn rates with tier factors, alert firings."""
    window = slo_window(slo, end)
    tiers = list(slo.tiers.all())
    longest = max([t.long_window for t in tiers], default=timedelta(hours=1))
    burn_from = max(start, end - timedelta(days=BURN_RATE_DAYS))
    since = min(history_since(slo, end), window.start, start, burn_from - longest)
    totals_of = totals_reader(slo, since, end)
    zone = slo.zone_name

    burn_down = []
    for t in day_ends(zone, window.start, end):
        remaining = budget.budget_remaining(totals_of(window.start, t), slo.objective)
        elapsed = Fraction(int((t - window.start).total_seconds()), int(window.length.total_seconds()))
        burn_down.append({"at": t.isoformat(), "remaining": _pct(remaining), "even_spend": _pct(1 - elapsed)})

    sli_daily, previous = [], start
    for t in day_ends(zone, start, end):
        totals = totals_of(previous, t)
        sli_daily.append({"day_end": t.isoformat(), "good": totals.good, "total": totals.total,
                          "sli": _pct(budget.sli(totals))})
        previous = t

    windows = sorted({t.long_window for t in tiers} | {t.short_window for t in tiers})
    hours = []
    t = burn_from.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while t <= end:
        hours.append(t)
        t += timedelta(hours=1)
    burn_rates = {duration_label(w): [_burn_rate(totals_of(h - w, h), slo.objective) for h in hours]
                  for w in windows}
    alerts = SLOAlert.objects.filter(slo=slo, fired_at__lte=end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=start)).order_by("fired_at")
    return {
        "slo": slo.pk,
        "window": window.label,
        "window_start": window.start.isoformat(),
        "burn_down": burn_down,
        "sli_daily": sli_daily,
        "burn_rate_hours": [h.isoformat() for h in hours],
        "burn_rates": burn_rates,
        "tiers": [{"tier": t.name, "severity": t.severity, "long_window": duration_label(t.long_window),
                   "short_window": duration_label(t.short_window),
                   "factor": budget.to_decimal(budget.tier_factor(t.budget_percent, window.length, t.long_window))}
                  for t in tiers],
        "alerts": [{"tier": a.tier_name, "severity": a.severity, "factor": a.factor,
                    "fired_at": a.fired_at.isoformat(),
                    "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None} for a in alerts],
        "history": slo_history(slo, end, totals_of),
    }


def slo_dashboard_data(*, project, start: datetime, end: datetime, now: datetime, params) -> dict:
    """Every number the SLO dashboard draws: the project's SLOs with 13 months of attainment, the monthly
    project summary, and (one SLO selected, or only one) the focus charts' series."""
    slos = _slos(project, params)
    attainment = project_monthly_attainment(slos, end)
    months = [row["period"] for row in next(iter(attainment.values()), [])]
    summary = []
    for i, month in enumerate(months):
        statuses = [attainment[s.pk][i]["status"] for s in slos]
        summary.append({"period": month, "met": statuses.count("PASS"), "missed": statuses.count("FAIL"),
                        "no_data": statuses.count("NO_DATA")})
    return {
        "slos": [
            {"id": s.pk, "slug": s.slug, "name": s.name, "service": s.service.slug, "objective": s.objective,
             "window": s.window_label, "status": s.status, "budget_remaining": s.last_budget_remaining,
             "months": attainment[s.pk]}
            for s in slos
        ],
        "summary": summary,
        "focus": _focus(slos[0], start, end) if len(slos) == 1 else None,
    }


def _label(iso: str, fmt: str = "%Y-%m-%d") -> str:
    return datetime.fromisoformat(iso).strftime(fmt)


def slo_charts(data: dict) -> list[Chart]:
    summary = data["summary"]
    charts = [Chart(
        key="slo-summary", kind="stacked_bar", title="SLOs meeting their objective, per month",
        question="How many of the project's SLOs met their objective each month?",
        labels=[row["period"] for row in summary], x_label="month", y_label="SLOs",
        series=[Series("met", [r["met"] for r in summary], color="#5cb85c"),
                Series("missed", [r["missed"] for r in summary], color="#d9534f"),
                Series("no data", [r["no_data"] for r in summary], color="#7f8c8d")],
    )]
    for slo in data["slos"]:
        months = slo["months"]
        charts.append(Chart(
            key=f"slo-{slo['id']}-months", title=f"{slo['name']}: SLI per month (objective {slo['objective']}%)",
            question="Did this SLO meet its objective each month, and by how much?",
            labels=[m["period"] for m in months], x_label="month", y_label="SLI %", kind="bar",
            series=[Series("SLI %", [m["sli"] for m in months]),
                    Series("budget consumed %", [m["budget_consumed"] for m in months], kind="line")],
            thresholds=[("objective %", slo["objective"])],
        ))
    focus = data["focus"]
    if focus:
        name = data["slos"][0]["name"]
        burn = focus["burn_down"]
        charts.append(Chart(
            key="burn-down", title=f"{name}: error budget remaining over the {focus['window']} window",
            question="Is the budget being spent faster than evenly across the window?",
            labels=[_label(p["at"], "%Y-%m-%d %H:%M") for p in burn], x_label="day end", y_label="budget remaining %",
            series=[Series("remaining %", [p["remaining"] for p in burn]),
                    Series("even spend %", [p["even_spend"] for p in burn], dashed=True)],
        ))
        days = focus["sli_daily"]
        charts.append(Chart(
            key="sli-daily", title=f"{name}: SLI per day against the objective",
            question="Which days fell below the objective?",
            labels=[_label(d["day_end"], "%Y-%m-%d %H:%M") for d in days], x_label="day end", y_label="SLI %",
            series=[Series("SLI %", [d["sli"] for d in days])],
            thresholds=[("objective %", data["slos"][0]["objective"])],
        ))
        hours = focus["burn_rate_hours"]
        fired = {}
        for alert in focus["alerts"]:
            hour = datetime.fromisoformat(alert["fired_at"]).replace(minute=0, second=0, microsecond=0)
            fired[(hour + timedelta(hours=1)).isoformat()] = alert["factor"]
        charts.append(Chart(
            key="burn-rates", title=f"{name}: burn rates per hour with the tier thresholds",
            question="How fast is the budget burning, and when did an alert tier fire?",
            labels=[_label(h, "%m-%d %H:%M") for h in hours], x_label="hour end", y_label="burn rate (x)",
            series=[Series(f"burn rate {w}", values) for w, values in focus["burn_rates"].items()]
            + [Series("alert fired", [fired.get(h) for h in hours], kind="line", points_only=True, color="#d9534f")],
            thresholds=[(f"{t['tier']} fires above", t["factor"]) for t in focus["tiers"]],
        ))
    return charts


def slo_tables(data: dict) -> list[dict]:
    header = ["SLO", "service", "objective %"] + [m["period"] for m in (data["slos"][0]["months"] if data["slos"]
                                                                       else [])]
    rows = [[s["name"], s["service"], s["objective"]]
            + [f"{m['status']} {m['sli'] if m['sli'] is not None else ''}".strip() for m in s["months"]]
            for s in data["slos"]]
    return [{"title": "13-month attainment (status and SLI % per month)", "header": header, "rows": rows}]
