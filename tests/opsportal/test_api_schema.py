"""Property-based run of the whole OpenAPI schema (schemathesis).

Every operation is called with generated input by an authenticated superuser;
no response may be a 5xx, and every documented response must match the schema.
New endpoints are covered automatically.
"""

import pytest
import schemathesis
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from opsportal.wsgi import application

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

# Bounded for the suite's time budget; deterministic so failures reproduce.
EXAMPLES = 12


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Aim path parameters at the demo data half of the time, so generated
    requests reach real objects instead of stopping at a 404."""
    strategies = {}
    for name, value in (path_parameters or {}).items():
        if name.endswith("slug"):
            strategies[name] = st.sampled_from(["shop", value])
        elif name in {"id", "pk"} or name.endswith("_id"):
            strategies[name] = st.sampled_from([1, 2, 3, value])
        elif name == "phase":
            strategies[name] = st.sampled_from(["phase6", value])
        else:
            strategies[name] = st.just(value)
    return st.fixed_dictionaries(strategies) if path_parameters is not None else st.none()


@pytest.fixture
def keep_test_connection():
    """Calls go straight to the WSGI app, not through Django's test client, so
    stop Django closing the test transaction's connection at the end of each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(db, keep_test_connection):
    from django.contrib.auth import get_user_model

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    user = get_user_model().objects.get(username="admin")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, superuser_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {superuser_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
