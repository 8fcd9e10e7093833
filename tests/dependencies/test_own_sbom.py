"""Eat our own cooking: the project's own SBOM (cyclonedx-py on this virtualenv) goes through the intake."""

import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from dependencies.models import Scan, ServiceComponent
from tests.conftest import require_external

pytestmark = [pytest.mark.external, pytest.mark.django_db]


def test_own_sbom_is_ingested(service, tmp_path):
    tool = shutil.which("cyclonedx-py") or str(Path(sys.executable).with_name("cyclonedx-py"))
    if not Path(tool).exists():
        require_external("cyclonedx-py is not installed (pip install '.[test]')")
    sbom = tmp_path / "sbom.json"
    subprocess.run([tool, "environment", "--of", "JSON", "-o", str(sbom), sys.prefix], check=True, timeout=120,
                   capture_output=True)
    out = StringIO()
    call_command("import_dependency_scan", "shop/checkout", str(sbom), stdout=out)
    scan = Scan.objects.get()
    assert scan.format == "cyclonedx" and scan.component_count > 20
    names = set(ServiceComponent.objects.filter(service=service).values_list("component__name", flat=True))
    assert {"django", "djangorestframework", "cvss"} <= names
