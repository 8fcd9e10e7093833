"""Parsing of intake rows (API JSON and admin CSV alike): each problem is {index, field, message}."""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime

MAX_TAGS = 20
TAG_LENGTH = 50


class RowsRejected(ValidationError):
    """At least one row is invalid; nothing was stored. `row_errors` lists {index, field, message}."""

    def __init__(self, row_errors: list[dict]):
        self.row_errors = row_errors
        super().__init__({"rows": [f"rows[{e['index']}].{e['field']}: {e['message']}" for e in row_errors]})


class Row:
    """One row being parsed; `error()` records a problem naming the field."""

    def __init__(self, index: int, data: dict, errors: list):
        self.index, self.data, self.errors = index, data, errors

    def error(self, field: str, message: str) -> None:
        self.errors.append({"index": self.index, "field": field, "message": message})

    def text(self, name, *, required=False, max_length=None, default=""):
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.error(name, "is required.")
            return default
        if not isinstance(value, str):
            self.error(name, "must be a string.")
            return default
        value = value.strip()
        if max_length and len(value) > max_length:
            self.error(name, f"is at most {max_length} characters (got {len(value)}).")
        return value

    def integer(self, name):
        value = self.data.get(name)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():  # CSV cells are strings
            value = int(value.strip())
        if value is None or value == "":
            self.error(name, "is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, "must be a whole number.")
            return None
        return value

    def moment(self, name) -> datetime | None:
        value = self.data.get(name)
        if value is None or value == "":
            self.error(name, "is required.")
            return None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except (ValueError, OverflowError):
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
        self.error(name, "must be an ISO 8601 date-time with a time zone, e.g. 2026-11-26T12:00:00Z.")
        return None

    def choice(self, name, choices, *, default=None):
        value = self.data.get(name)
        if value in (None, "") and default is not None:
            return default
        if value not in choices.values:
            self.error(name, f"must be one of {', '.join(choices.values)}.")
            return None
        return value

    def tags(self, name="tags") -> list[str]:
        value = self.data.get(name)
        if value in (None, ""):
            return []
        if isinstance(value, str):  # CSV: "slow, checkout"
            value = [part for part in value.replace(";", ",").split(",")]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            self.error(name, "must be a list of strings.")
            return []
        tags = sorted({t.strip().lower() for t in value if t.strip()})
        if len(tags) > MAX_TAGS:
            self.error(name, f"at most {MAX_TAGS} tags (got {len(tags)}).")
        for tag in tags:
            if len(tag) > TAG_LENGTH:
                self.error(name, f"a tag is at most {TAG_LENGTH} characters ({tag[:20]}...).")
                break
        return tags

    def url(self, name) -> str:
        value = self.text(name, max_length=500)
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                self.error(name, "must be an http(s) URL.")
        return value

    def unknown(self, allowed: set[str]) -> None:
        for name in sorted(set(self.data) - allowed):
            self.error(name, "is not a field of this row.")


def check_list(rows, *, max_rows: int, what: str) -> None:
    if not isinstance(rows, list):
        raise ValidationError({"rows": f"Send a JSON list of {what} objects."})
    if not rows:
        raise ValidationError({"rows": f"Send at least one {what}."})
    if len(rows) > max_rows:
        raise ValidationError({"rows": f"At most {max_rows:,} rows per request (got {len(rows):,})."})
