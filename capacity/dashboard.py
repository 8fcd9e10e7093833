"""The performance dashboard in the core's dashboard registry (`opsportal.dashboards`): it serves
`/admin/dashboards/performance/` and the API twin `GET /api/v1/projects/{slug}/dashboards/performance/`
from one selector, `capacity.dashboard_data.performance_dashboard`. No admin-home panel of its own."""

from opsportal.charts import Chart, Series
from opsportal.dashboards import Dashboard


def panels(request) -> list[dict]:
    return []


def charts_for(data: dict) -> list[dict]:
    sections = []
    for service in data["services"]:
        charts = []
        for r in service["resources"]:
            charts.append(Chart(
                key=f"{service['service']}-{r['id']}-utilisation", title=f"{service['name']}: {r['name']}",
                question=f"Is {r['name']} running out? Daily peak as % of capacity ({r['capacity']:g} {r['unit']}), "
                         f"the trend for the next {data['forecast_days']} days and the thresholds.",
                labels=r["labels"], x_label="day (UTC)", y_label="% of capacity", y_min=0,
                series=[Series("daily peak %", r["utilisation"]),
                        Series("forecast %", r["forecast_line"], dashed=True)],
                thresholds=[("warning %", r["warning_percent"]), ("critical %", r["critical_percent"]),
                            ("capacity", 100.0)],
            ))
        latency = service["latency"]
        if latency:
            charts.append(Chart(
                key=f"{service['service']}-latency", title=f"{service['name']}: latency percentiles",
                question="Is the service getting slower? Daily mean of p50, p95 and p99.",
                labels=latency["labels"], x_label="day (UTC)", y_label="ms", y_min=0,
                series=[Series("p50 ms", latency["p50_ms"]), Series("p95 ms", latency["p95_ms"]),
                        Series("p99 ms", latency["p99_ms"])],
            ))
            charts.append(Chart(
                key=f"{service['service']}-rate", title=f"{service['name']}: request rate", kind="bar",
                question="How much traffic? Daily mean requests per second.",
                labels=latency["labels"], x_label="day (UTC)", y_label="req/s", y_min=0,
                series=[Series("requests/s", latency["request_rate"])],
            ))
        sections.append({"service": service, "charts": charts})
    return sections


def _data(*, project, start, end, now, params) -> dict:
    from capacity.dashboard_data import performance_dashboard

    return performance_dashboard(project, now=now)


def _charts(data) -> list:
    return [chart for section in charts_for(data) for chart in section["charts"]]


def _tables(data) -> list[dict]:
    forecasts = {
        "title": "Forecasts (soonest critical first)",
        "header": ["service", "resource", "trend", "warning at", "critical at", "capacity at"],
        "rows": [[f["service"], f["resource"], f["status"], f["warning_at"] or "never", f["critical_at"] or "never",
                  f["capacity_at"] or "never"] for f in data["forecasts"]],
    }
    regressions = {
        "title": "Regressions (last five weeks)",
        "header": ["service", "week of", "regressed", "action item", "improved"],
        "rows": [[s["service"], r["week_start"][:10], ", ".join(r["regressions"]),
                  f"#{r['action_item']}" if r["action_item"] else "none yet",
                  "-" if r["improved"] is None else ("yes" if r["improved"] else "no")]
                 for s in data["services"] for r in s["regressions"]],
    }
    return [forecasts, regressions]



DASHBOARDS = [Dashboard(slug="performance", title="Performance and capacity", data=_data, charts=_charts,
                        tables=_tables,
                        description="Utilisation vs capacity with forecasts, latency percentiles, request rate, "
                                    "regressions.")]
