"""The performance dashboard in the core's dashboard registry (`opsportal.dashboards`, when present),
and no admin-home panel of its own.

Where the registry exists it serves `/admin/dashboards/performance/` and the API twin from
`DASHBOARDS`; before it, `capacity/admin_urls.py` and `capacity.api.views.PerformanceDashboardView`
serve the same numbers (`capacity.dashboard_data.performance_dashboard`) at the same addresses.
"""


def panels(request) -> list[dict]:
    return []


def _data(*, project, start, end, now, params) -> dict:
    from capacity.dashboard_data import performance_dashboard

    return performance_dashboard(project, now=now)


def _charts(data) -> list:
    from capacity.dashboard_views import charts_for

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


try:
    from opsportal.dashboards import Dashboard
except ImportError:  # the registry has not landed on this branch: admin_urls.py serves the page
    DASHBOARDS = []
else:
    DASHBOARDS = [Dashboard(slug="performance", title="Performance and capacity", data=_data, charts=_charts,
                            tables=_tables,
                            description="Utilisation vs capacity with forecasts, latency percentiles, request "
                                        "rate, regressions.")]
