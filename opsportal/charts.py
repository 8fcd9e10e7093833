"""The chart layer every dashboard uses: a chart is data, not JavaScript.

A view builds `Chart` objects from a selector's numbers and renders them with
`{% load charts %}{% chart c %}`. The include puts the spec on the page with
`json_script` (never string-built JavaScript), draws it with the vendored
Chart.js (`opsportal/static/opsportal/charts.js`), and shows the very same
numbers as a collapsed table with a "download CSV" link. docs/dashboards.md
explains how to add a dashboard.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.utils.text import slugify

KINDS = ("line", "bar", "stacked_bar")


@dataclass
class Series:
    """One line or bar series. `values` align with the chart's `labels`; None is a gap (no data)."""

    label: str
    values: list
    kind: str = ""  # "line" or "bar"; blank: the chart's kind
    dashed: bool = False  # reference lines (even spend, objective)
    stack: str = ""
    color: str = ""  # CSS colour; blank: the palette
    points_only: bool = False  # markers (alert firings) drawn without a line


@dataclass
class Chart:
    """A chart and the question it answers. `thresholds` draw as flat dashed lines (tier factors, targets)."""

    key: str
    title: str
    labels: list[str]
    series: list[Series]
    kind: str = "line"
    question: str = ""
    x_label: str = ""
    y_label: str = ""
    thresholds: list[tuple[str, float]] = field(default_factory=list)
    y_min: float | None = None
    y_max: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"chart kind must be one of {KINDS}, got {self.kind!r}")
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(
                    f"series {series.label!r} has {len(series.values)} values for {len(self.labels)} labels"
                )

    @property
    def element_id(self) -> str:
        return "chart-" + slugify(self.key)

    def all_series(self) -> list[Series]:
        """The series plus one flat series per threshold, so table, CSV and drawing show the same numbers."""
        flat = [Series(label, [value] * len(self.labels), kind="line", dashed=True) for label, value in self.thresholds]
        return self.series + flat

    def spec(self) -> dict:
        """What the browser draws (numbers as JSON numbers, gaps as null)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "labels": list(self.labels),
            "x_label": self.x_label,
            "y_label": self.y_label,
            "y_min": self.y_min,
            "y_max": self.y_max,
            "series": [
                {
                    "label": s.label, "values": [_number(v) for v in s.values], "kind": s.kind or "",
                    "dashed": s.dashed, "stack": s.stack, "color": s.color, "points_only": s.points_only,
                }
                for s in self.all_series()
            ],
        }

    def table(self) -> tuple[list[str], list[list[str]]]:
        header = [self.x_label or "", *(s.label for s in self.all_series())]
        rows = [[label, *(_cell(s.values[i]) for s in self.all_series())] for i, label in enumerate(self.labels)]
        return header, rows

    def csv_text(self) -> str:
        header, rows = self.table()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()

    def csv_href(self) -> str:
        return "data:text/csv;charset=utf-8," + quote(self.csv_text())

    def csv_filename(self) -> str:
        return slugify(self.key) + ".csv"


def _number(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return float(Decimal(str(value)))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
