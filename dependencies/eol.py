"""End-of-life data: endoflife.date product files (`GET https://endoflife.date/api/<product>.json`, saved
to disk; nothing is downloaded at run time) and the match of a component to its release cycle."""

import json
from datetime import date

from django.db import transaction
from packaging.version import InvalidVersion, Version

from dependencies.models import EolCycle


class EolFileError(ValueError):
    pass


# Package names that are not the endoflife.date product slug.
PRODUCT_ALIASES = {"node": "nodejs", "postgres": "postgresql", "cpython": "python",
                   "djangorestframework": "django-rest-framework"}


def product_for(component_name: str) -> str:
    name = component_name.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
    return PRODUCT_ALIASES.get(name, name)


def _date(value, where: str):
    if value is None or isinstance(value, bool):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise EolFileError(f"{where}: {value!r} is not a date (YYYY-MM-DD) or a boolean.") from None


def parse_product_file(text: str) -> list[dict]:
    """The product's cycles: [{"cycle", "releaseDate", "eol": date|bool, "latest", "lts"}, ...]."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EolFileError(f"not JSON ({exc}); expected an endoflife.date product file: a list of cycles.") from None
    if not isinstance(data, list) or not data:
        raise EolFileError("expected an endoflife.date product file: a non-empty list of {\"cycle\", \"eol\", ...}.")
    cycles = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("cycle"):
            raise EolFileError(f"[{index}] needs a cycle.")
        if "eol" not in entry:
            raise EolFileError(f"[{index}] (cycle {entry['cycle']}) needs eol (a date or a boolean).")
        eol = entry["eol"]
        cycles.append({
            "cycle": str(entry["cycle"]), "release_date": _date(entry.get("releaseDate"), f"[{index}].releaseDate"),
            "eol_date": _date(eol, f"[{index}].eol"), "is_eol": eol is True,
            "latest": str(entry.get("latest") or ""), "lts": bool(entry.get("lts")),
        })
    return cycles


def import_product(*, product: str, text: str, now) -> tuple[int, int]:
    """Replace what is known of `product` by the file's cycles. Returns (created, updated)."""
    cycles = parse_product_file(text)
    created = updated = 0
    with transaction.atomic():
        for cycle in cycles:
            _, was_created = EolCycle.objects.update_or_create(
                product=product, cycle=cycle["cycle"], defaults={**{k: v for k, v in cycle.items() if k != "cycle"},
                                                                 "imported_at": now})
            created += was_created
            updated += not was_created
    return created, updated


def _as_version(text: str):
    try:
        return Version(text)
    except (InvalidVersion, TypeError):
        return None


def cycle_for(version: str, cycles: list[EolCycle]) -> EolCycle | None:
    """The cycle a version belongs to: the longest cycle that is a dotted prefix (3.11.4 -> 3.11, 18.2 -> 18)."""
    best = None
    for cycle in cycles:
        if version == cycle.cycle or version.startswith(cycle.cycle + "."):
            if best is None or len(cycle.cycle) > len(best.cycle):
                best = cycle
    return best


def newest(versions) -> str:
    parsed = [(v, p) for v in versions if (p := _as_version(v)) is not None]
    return max(parsed, key=lambda e: e[1])[0] if parsed else ""


def releases_behind(version: str, newest_version: str) -> dict | None:
    """How far `version` is behind: major and minor steps (None when either is not a version)."""
    mine, top = _as_version(version), _as_version(newest_version)
    if mine is None or top is None:
        return None
    if mine >= top:
        return {"major": 0, "minor": 0}
    if mine.major < top.major:
        return {"major": top.major - mine.major, "minor": 0}
    return {"major": 0, "minor": max(top.minor - mine.minor, 0)}
