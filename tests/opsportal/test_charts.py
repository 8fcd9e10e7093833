"""The chart layer: data through json_script, the same numbers in the table and the CSV, vendored library intact."""

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.template import Context, Template

from opsportal.charts import Chart, Series

VENDOR = Path(__file__).resolve().parents[2] / "opsportal" / "static" / "opsportal" / "vendor" / "chartjs"


def render(chart: Chart) -> str:
    return Template("{% load charts %}{% chart_assets %}{% chart c %}").render(Context({"c": chart}))


def sample() -> Chart:
    return Chart(
        key="burn down",
        title="Budget </script> remaining",
        labels=["2026-11-01", "2026-11-02", "2026-11-03"],
        series=[Series("remaining %", [Decimal("100.0000"), None, Decimal("87.5000")])],
        thresholds=[("even spend", 50)],
        x_label="day",
        y_label="%",
    )


def test_spec_goes_through_json_script_escaped():
    html = render(sample())
    match = re.search(r'<script id="chart-burn-down-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, html
    spec = json.loads(match.group(1))
    assert spec["labels"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert spec["series"][0]["values"] == [100.0, None, 87.5]
    assert spec["series"][1] == {
        "label": "even spend", "values": [50, 50, 50], "kind": "line", "dashed": True, "stack": "",
        "color": "", "points_only": False,
    }
    assert spec["title"] == "Budget </script> remaining"  # escaped by json_script, decoded back
    assert "</script> remaining" not in match.group(1)
    assert 'data-opsportal-chart="chart-burn-down-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_table_and_csv_carry_the_same_numbers():
    chart = sample()
    html = render(chart)
    assert "<details class=\"opsportal-chart-table\">" in html  # collapsed by default (no `open`)
    assert "<th scope=\"row\">2026-11-03</th><td>87.5000</td><td>50</td>" in html
    href = re.search(r'href="data:text/csv;charset=utf-8,([^"]*)" download="burn-down.csv"', html).group(1)
    expected = "day,remaining %,even spend\n2026-11-01,100.0000,50\n2026-11-02,,50\n2026-11-03,87.5000,50\n"
    assert unquote(href) == expected


def test_series_length_must_match_labels():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        Chart(key="x", title="x", labels=["a", "b", "c"], series=[Series("s", [1, 2])])


def test_vendored_chartjs_matches_recorded_sha256():
    sums = dict(reversed(line.split()) for line in (VENDOR / "SHA256SUMS").read_text().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert set(sums) == {"chart.umd.min.js", "chart.umd.js.map", "LICENSE.md"}
    assert (VENDOR / "VERSION").read_text().startswith("chart.js 4.")
    assert "Chart.js" in (VENDOR / "chart.umd.min.js").read_text()[:400]
