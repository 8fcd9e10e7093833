"""Technology inventory: what each service runs (from its inventory scans), how far behind the newest
version seen in the organisation, and end of life from the imported endoflife.date files."""

from collections import defaultdict
from datetime import timedelta

from dependencies.eol import cycle_for, newest, product_for, releases_behind
from dependencies.models import EolCycle, ServiceComponent

EOL_SOON = timedelta(days=90)


def inventory(project, today) -> list[dict]:
    """One row per current component of the project's services that has an end-of-life product or is
    behind the organisation's newest version. Queries: three, whatever the number of rows."""
    rows = list(ServiceComponent.objects.filter(service__project=project, current=True)
                .select_related("service", "component").order_by("component__name", "service__slug"))
    names = {(r.component.ecosystem, r.component.name) for r in rows}
    seen_versions = defaultdict(set)
    for ecosystem, name, version in (ServiceComponent.objects.filter(current=True, component__name__in={n for _, n
                                                                      in names})
                                     .values_list("component__ecosystem", "component__name", "component__version")):
        if (ecosystem, name) in names:
            seen_versions[(ecosystem, name)].add(version)
    cycles = defaultdict(list)
    for cycle in EolCycle.objects.filter(product__in={product_for(n) for _, n in names}):
        cycles[cycle.product].append(cycle)
    found = []
    for row in rows:
        component = row.component
        top = newest(seen_versions[(component.ecosystem, component.name)])
        behind = releases_behind(component.version, top) if top else None
        cycle = cycle_for(component.version, cycles.get(product_for(component.name), []))
        eol = None
        if cycle is not None:
            eol = {"product": cycle.product, "cycle": cycle.cycle, "eol_date": cycle.eol_date,
                   "is_eol": cycle.is_eol or (cycle.eol_date is not None and cycle.eol_date <= today),
                   "soon": cycle.eol_date is not None and today < cycle.eol_date <= today + EOL_SOON,
                   "latest": cycle.latest}
        if eol is None and not (behind and (behind["major"] or behind["minor"])):
            continue
        found.append({"service": row.service, "component": component, "newest": top, "behind": behind, "eol": eol})
    return found


def describe_behind(behind) -> str:
    if not behind or not (behind["major"] or behind["minor"]):
        return "the newest version in the organisation"
    if behind["major"]:
        return f"{behind['major']} major version(s) behind"
    return f"{behind['minor']} minor version(s) behind"
