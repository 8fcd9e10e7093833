"""OpenAPI links: from each create operation to the operations on the object it created.

A `POST /api/v1/slos/` answers 201 with the new SLO's `id`; every operation under
`/api/v1/slos/{id}/` can take that id. The links say so in the schema, so clients and
schemathesis' stateful mode follow them (without them, those operations were only ever
reached past 404 by guessing ids). Added as a drf-spectacular postprocessing hook.
"""

import re

_PARAMETER = re.compile(r"^\{([^}]+)\}/")
_METHODS = ("get", "put", "patch", "post", "delete")


def _first_parameter(rest: str) -> str | None:
    match = _PARAMETER.match(rest)
    return match.group(1) if match else None


def _response_fields(result, response) -> set[str]:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = result.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return set(schema.get("properties", {}))


def add_create_links(result, generator, request, public):
    paths = result.get("paths", {})
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or "{" in collection:
            continue
        fields = _response_fields(result, created)
        links = {}
        for path, targets in paths.items():
            if not path.startswith(collection) or path == collection:
                continue
            name = _first_parameter(path[len(collection):])
            if name is None or path.count("{") != 1:
                continue  # only operations that need nothing but the created object's key
            field = "id" if name in {"id", "pk"} else name
            if field not in fields:
                continue  # the created object does not carry the key the path needs
            for method in _METHODS:
                target = targets.get(method)
                if target and target.get("operationId"):
                    links[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": {name: f"$response.body#/{field}"},
                    }
        if links:
            created["links"] = links
    return result
