"""`{% load charts %}{% chart_assets %}` once per page, then `{% chart c %}` for each `opsportal.charts.Chart`."""

from django import template

register = template.Library()


@register.inclusion_tag("opsportal/charts/chart.html")
def chart(chart):
    header, rows = chart.table()
    return {"chart": chart, "spec": chart.spec(), "data_id": chart.element_id + "-data", "header": header, "rows": rows}


@register.inclusion_tag("opsportal/charts/assets.html")
def chart_assets():
    return {}
