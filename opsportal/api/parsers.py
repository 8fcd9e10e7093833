"""Request parsers that refuse NUL characters and JSON nested too deeply.

PostgreSQL text cannot hold NUL (0x00); without this a stray NUL in any field
would surface as a database error (500) instead of a 400 naming the field.
Deeply nested JSON (`[[[[...]]]]` a hundred thousand levels) made the decoder,
or the recursive code after it, raise RecursionError: a 500. No request of this
API or Alertmanager's webhook nests deeper than a handful of levels.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser


def _find_nul(value, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = _find_nul(item, where)
            if found:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _find_nul(item, f"{path}[{index}]")
            if found:
                return found
    return None


MAX_JSON_DEPTH = 32


def reject_deep(data, limit: int = MAX_JSON_DEPTH):
    """Walk without recursion; refuse containers nested deeper than `limit`."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                raise ParseError(f"JSON nested deeper than {limit} levels.")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return data


def reject_nul(data):
    items = data.lists() if hasattr(data, "lists") else None
    where = _find_nul(dict(items), "") if items is not None else _find_nul(data, "")
    if where:
        raise ParseError(f"{where}: NUL characters are not allowed.")
    return data


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        return reject_nul(reject_deep(data))


class SafeFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return reject_nul(super().parse(stream, media_type, parser_context))


class SafeMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        reject_nul(result.data)
        return result


DEFAULT_PARSERS = [SafeJSONParser, SafeFormParser, SafeMultiPartParser]
