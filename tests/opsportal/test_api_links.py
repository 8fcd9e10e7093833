"""OpenAPI links from create operations to the operations on the created object (opsportal/api/links.py)."""

from drf_spectacular.generators import SchemaGenerator

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = {op["operationId"]: (path, method) for path, ops in SCHEMA["paths"].items()
              for method, op in ops.items() if isinstance(op, dict) and "operationId" in op}


def links_of(path):
    return SCHEMA["paths"][path]["post"]["responses"]["201"].get("links", {})


def test_creating_an_slo_links_to_every_operation_on_it():
    links = links_of("/api/v1/slos/")
    targets = {OPERATIONS[link["operationId"]] for link in links.values()}
    on_one_slo = {(path, method) for path, ops in SCHEMA["paths"].items() if path.startswith("/api/v1/slos/{id}/")
                  for method in ops if method in {"get", "put", "patch", "post", "delete"}}
    assert targets == on_one_slo
    assert all(link["parameters"] == {"id": "$response.body#/id"} for link in links.values())


def test_slug_keyed_objects_link_by_slug():
    links = links_of("/api/v1/articles/")
    assert links and all(link["parameters"] == {"slug": "$response.body#/slug"} for link in links.values())


def test_every_link_names_a_real_operation_and_a_field_the_response_has():
    found = 0
    for ops in SCHEMA["paths"].values():
        created = ops.get("post", {}).get("responses", {}).get("201", {})
        for link in created.get("links", {}).values():
            found += 1
            target_path, _ = OPERATIONS[link["operationId"]]
            [(name, expression)] = link["parameters"].items()
            assert "{" + name + "}" in target_path
            ref = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert expression.rsplit("/", 1)[1] in SCHEMA["components"]["schemas"][ref]["properties"]
    assert found >= 40
