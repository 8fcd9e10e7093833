"""Fixtures of the Alertmanager webhook tests: an integration of the shop and a client holding its token."""

import pytest
from rest_framework.test import APIClient

from incidents.services.alerts import alert_integration_create


@pytest.fixture
def integration(project, service):
    """(AlertIntegration, token) feeding the shop, whose checkout service the sample alerts name."""
    return alert_integration_create(project=project, name="alertmanager-prod")


@pytest.fixture
def am(integration):
    """An API client posting as that integration (Bearer token)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {integration[1]}")
    return client
