"""Every id filter and id path parameter of the API takes 64-bit integers only:
beyond that (or a float in exponent form) is a 400 naming the filter, or a 404
for a path, never a 500 from the database driver (OverflowError on SQLite)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OUT_OF_RANGE = ["99999999999999999999999", "-5.6e251", "9223372036854775808", "0"]


def list_filters():
    for path, operations in SCHEMA["paths"].items():
        get = operations.get("get")
        if not get or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] == "query" and parameter["schema"].get("type") in {"integer", "number"}:
                if parameter["name"] not in {"page_size", "limit", "offset"}:
                    yield path, parameter["name"]


def id_paths():
    for path, operations in SCHEMA["paths"].items():
        if "get" in operations:
            for parameter in operations["get"].get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    yield path, parameter["name"]


FILTERS = sorted(set(list_filters()))
PATHS = sorted(set(id_paths()))


def test_the_schema_has_id_filters_and_id_paths_to_check():
    names = {name for _path, name in FILTERS}
    assert {"postmortem", "service", "subject_id", "slo"} <= names, names
    assert len(PATHS) >= 5


@pytest.mark.parametrize(("path", "name"), FILTERS, ids=[f"{p}?{n}" for p, n in FILTERS])
def test_an_id_filter_beyond_64_bits_is_a_400_naming_it(api_as, manager, project, path, name):
    # `project`: the Manager is a member of a project, so the lists are open to them (docs/access.md).
    client = api_as(manager)
    for value in OUT_OF_RANGE:
        response = client.get(path, {name: value})
        assert response.status_code == 400, (value, response.status_code, response.content[:300])
        assert name in response.json(), (value, response.json())


@pytest.mark.parametrize(("path", "name"), PATHS, ids=[p for p, _n in PATHS])
def test_an_id_path_beyond_64_bits_is_not_found(api_as, manager, project, path, name):
    url = path.replace("{" + name + "}", "99999999999999999999999")
    url = re.sub(r"\{[^}]+\}", "shop", url)
    response = api_as(manager).get(url)
    assert response.status_code == 404, (url, response.status_code, response.content[:300])
