"""import_dependency_scan and import_eol (exit statuses), the technology inventory and the quarterly review."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dependencies import review_findings
from dependencies.eol import cycle_for, import_product, releases_behind
from dependencies.models import EolCycle, Scan
from dependencies.technology import inventory
from tests.dependencies.conftest import NOW, SAMPLES
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_dependency_scan_by_slug_and_idempotent(service):
    path = str(SAMPLES / "dd_npm_audit_7_plus_many_vulns.json")
    assert "3 new" in run("import_dependency_scan", "shop/checkout", path)
    assert "Already stored" in run("import_dependency_scan", str(service.pk), path)
    assert Scan.objects.count() == 1


@pytest.mark.parametrize("args,message", [
    (("nowhere/at-all", "x.json"), "No service"),
    (("shop/checkout", "/does/not/exist.json"), "Cannot read"),
    (("shop/checkout", str(SAMPLES / "endoflife_python.json")), "pip-audit: dependencies\\[0\\] needs a name"),
    (("shop/checkout", str(SAMPLES / "dd_pip_audit_many_vulns.json"), "--format", "cyclonedx"), "CycloneDX"),
])
def test_import_dependency_scan_bad_input_exits_2(service, args, message):
    with pytest.raises(CommandError, match=message) as exc:
        call_command("import_dependency_scan", *args, stdout=StringIO(), stderr=StringIO())
    assert exc.value.returncode == 2
    assert not Scan.objects.exists()


def test_import_eol_real_product_file():
    assert "17 cycles added" in run("import_eol", str(SAMPLES / "endoflife_python.json"))
    assert "0 cycles added, 17 updated" in run("import_eol", str(SAMPLES / "endoflife_python.json"))
    cycle = EolCycle.objects.get(product="python", cycle="3.14")
    assert (str(cycle.eol_date), cycle.latest) == ("2030-10-31", "3.14.7")


@pytest.mark.parametrize("text,message", [("{}", "non-empty list"), ("[{\"cycle\": \"1\"}]", "needs eol"),
                                          ("[{\"cycle\": \"1\", \"eol\": \"soon\"}]", "not a date"), ("x", "not JSON")])
def test_import_eol_bad_input_exits_2(tmp_path, text, message):
    path = tmp_path / "thing.json"
    path.write_text(text)
    with pytest.raises(CommandError, match=message) as exc:
        call_command("import_eol", str(path), stdout=StringIO())
    assert exc.value.returncode == 2 and not EolCycle.objects.exists()


def test_cycle_match_and_versions_behind():
    import_product(product="python", text=(SAMPLES / "endoflife_python.json").read_text(), now=NOW)
    cycles = list(EolCycle.objects.filter(product="python"))
    assert cycle_for("3.1.4", cycles).cycle == "3.1"  # not 3.10 or 3.11
    assert cycle_for("3.11.4", cycles).cycle == "3.11"
    assert cycle_for("4.0", cycles) is None
    assert releases_behind("4.2.1", "5.1.0") == {"major": 1, "minor": 0}
    assert releases_behind("5.0.3", "5.2.0") == {"major": 0, "minor": 2}
    assert releases_behind("5.2.0", "5.2.0") == {"major": 0, "minor": 0}
    assert releases_behind("not-a-version", "5.2.0") is None


def sbom(*components) -> bytes:
    """A CycloneDX 1.6 SBOM: Python packages by purl, anything else (a database server) by name."""
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": name, "version": version, "bom-ref": f"{name}=={version}",
         **({"purl": f"pkg:pypi/{name}@{version}"} if name == "django" else {})}
        for name, version in components]}).encode()


def test_inventory_and_quarterly_technology_assessment(ingest, project, service, tmp_path):
    postgres = (SAMPLES / "endoflife_postgresql.json").read_text()
    import_product(product="postgresql", text=postgres, now=NOW)
    eol_2026 = EolCycle.objects.get(product="postgresql", cycle="14")  # ends 2026-11-12
    other = ServiceFactory(project=project, slug="payments", name="Payments")
    ingest(sbom(("django", "4.2.1"), ("postgresql", "14.1")))
    ingest(sbom(("django", "5.1.0"), ("postgresql", "12.3")), target=other)
    rows = inventory(project, NOW.date())
    by = {(r["service"].slug, r["component"].name): r for r in rows}
    assert by[("checkout", "django")]["behind"] == {"major": 1, "minor": 0}
    assert ("payments", "django") not in by  # the newest in the organisation
    assert by[("payments", "postgresql")]["eol"]["is_eol"] is True  # postgresql 12 ended 2024-11-21
    assert by[("checkout", "postgresql")]["eol"]["cycle"] == "14"
    soon = NOW.replace(year=2026, month=9, day=1)
    assert soon.date() + timedelta(days=90) >= eol_2026.eol_date
    found = review_findings.findings(project=project, cadence="quarterly", period_start=NOW, period_end=soon,
                                     now=soon)
    texts = {f["text"]: f for f in found}
    assert all(f["item"] == "technology_assessment" for f in found)
    past = next(t for t in texts if t.startswith("payments runs postgresql 12.3"))
    assert "reached end of life on 2024-11-21" in past and texts[past]["severity"] == "critical"
    ending = next(t for t in texts if t.startswith("checkout runs postgresql 14.1"))
    assert "within 90 days" in ending and texts[ending]["severity"] == "warning"
    behind = next(t for t in texts if t.startswith("checkout runs django 4.2.1"))
    assert "1 major version(s) behind (newest seen: 5.1.0)" in behind
