"""How a database row becomes a chain document: every concrete field, as plain JSON.

Django side only (the offline verifier never needs it). The same function serves the
append (from the instance just saved) and the database verification (from the row
read back), so any change to a stored audit row shows as a different document.
"""

import datetime
import json
import math
from decimal import Decimal

from django.db.models.fields.files import FieldFile

MAX_SAFE_INT = 2**53 - 1  # RFC 8785 numbers are IEEE doubles; bigger integers travel as strings


def jsonable(value):
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return str(value)


def _json_field(value):
    # What the database gives back for a JSONField: the value after one JSON round trip.
    return jsonable(json.loads(json.dumps(value, default=str)))


def record_document(instance) -> dict:
    """All concrete fields of `instance` (foreign keys by id), JSON-ready."""
    from django.db.models import JSONField

    document = {}
    for field in instance._meta.concrete_fields:
        value = field.value_from_object(instance)
        document[field.attname] = _json_field(value) if isinstance(field, JSONField) else jsonable(value)
    return document


def record_type(instance_or_model) -> str:
    return instance_or_model._meta.label_lower
