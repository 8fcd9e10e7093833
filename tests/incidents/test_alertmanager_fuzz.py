"""Generated Alertmanager payloads with a valid integration token: never a 5xx, always the documented shape."""

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from incidents.services.alerts import alert_integration_create
from opsportal.wsgi import application
from tests.factories import ProjectFactory

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


@pytest.fixture
def integration_token(db):
    from django.core import signals
    from django.db import close_old_connections

    # Calls go straight to the WSGI app: keep the test transaction's connection open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    _, token = alert_integration_create(project=ProjectFactory(slug="shop"), name="fuzz")
    yield token
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.include(path="/api/v1/alerts/alertmanager/").parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_alertmanager_webhook_never_fails_on_generated_payloads(case, integration_token):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {integration_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    # Schemathesis also sends wrong methods and unauthenticated variants (405, 401); never a 5xx.
    assert response.status_code in (200, 400, 401, 405, 406, 415)
    STATUSES.append(response.status_code)


STATUSES: list[int] = []


def test_the_generated_payloads_reached_the_ingestion():
    # Runs after the generated cases (same module, in order): some were accepted, some refused.
    if not STATUSES:
        pytest.skip("the generated cases did not run")
    assert {200, 400} <= set(STATUSES)
