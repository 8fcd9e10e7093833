"""Property-based run of the whole OpenAPI schema (schemathesis).

Every operation is called with generated input by an authenticated superuser
against the demo data; no response may be a 5xx, and every documented response
must match the schema. New endpoints are covered automatically.
"""

import io

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from opsportal.models import ApiToken
from opsportal.wsgi import application

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

# Bounded for the suite's time budget; deterministic so failures reproduce.
EXAMPLES = 8


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Aim path parameters at the demo data half of the time, so generated
    requests reach real objects instead of stopping at a 404."""
    if path_parameters is None:
        return st.none()
    strategies = {}
    for name, value in path_parameters.items():
        if name.endswith("slug"):
            strategies[name] = st.sampled_from(["shop", value])
        elif name in {"id", "pk"} or name.endswith("_id"):
            strategies[name] = st.sampled_from([1, 2, 3, value])
        elif name == "phase":
            strategies[name] = st.sampled_from(["phase6", value])
        else:
            strategies[name] = st.just(value)
    return st.fixed_dictionaries(strategies)


@pytest.fixture(scope="module")
def demo_token(django_db_setup, django_db_blocker):
    """Seed the demo data once for the module (seeding per operation would
    dominate the run), and empty the database again afterwards."""
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=io.StringIO())
        _, secret = ApiToken.objects.create(user=get_user_model().objects.get(username="admin"), expiry=None)
        yield secret
        call_command("flush", "--no-input", stdout=io.StringIO())


@pytest.fixture
def keep_test_connection():
    """Calls go straight to the WSGI app, not through Django's test client, so
    stop Django closing the test transaction's connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, demo_token, keep_test_connection):
    case.call_and_validate(
        headers={"Authorization": f"Token {demo_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
