"""Each format with real samples (tests/dependencies/samples/README.md), detection and malformed input."""

from decimal import Decimal

import pytest

from dependencies.parsers import ScanFormatError, detect, parse
from dependencies.severity import best_vector, from_label, score_vector
from tests.dependencies.conftest import sample_json


def test_pip_audit_legacy_list_shape():
    scan = parse(sample_json("dd_pip_audit_many_vulns.json"))
    assert scan.format == "pip-audit" and scan.inventory and scan.covers == {"pypi"}
    assert ("pypi", "aiohttp", "3.6.2") in scan.components
    assert (("pypi", "aiohttp", "3.6.2"), "PYSEC-2021-76") in scan.findings
    assert scan.vulnerabilities["PYSEC-2021-76"].fixed_versions == ["3.7.4"]
    assert len(scan.findings) == 7 and len(scan.skipped) == 1


def test_pip_audit_current_shape_matches_the_legacy_one():
    legacy, current = parse(sample_json("dd_pip_audit_many_vulns.json")), parse(
        sample_json("dd_pip_audit_many_vulns_new.json"))
    assert current.findings == legacy.findings


def test_pip_audit_skipped_entries_are_kept_not_dropped():
    scan = parse(sample_json("pip_audit_2.10.1_skipped.json"))
    assert scan.components == {} and len(scan.skipped) == 9
    assert scan.skipped[0] == {"name": "django",
                               "reason": "Dependency not found on PyPI and could not be audited: django (3.2)"}


def test_osv_scanner_groups_make_one_finding_with_aliases_and_cvss_score():
    scan = parse(sample_json("dd_osv_scanner_many_findings.json"))
    assert scan.format == "osv-scanner"
    vuln = scan.vulnerabilities["GHSA-25mq-v84q-4j7r"]
    assert vuln.aliases == ["CVE-2022-31090"]
    assert (vuln.severity, vuln.score) == ("high", Decimal("7.7"))  # CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N
    assert vuln.fixed_versions == ["6.5.8", "7.4.5"]
    assert ("composer", "guzzlehttp/guzzle", "6.3.3") in scan.components
    # The later ids of a group are aliases of its first, not findings of their own.
    raw = sample_json("dd_osv_scanner_many_findings.json")
    later = {i for r in raw["results"] for p in r["packages"] for g in p.get("groups") or [] for i in g["ids"][1:]}
    firsts = {g["ids"][0] for r in raw["results"] for p in r["packages"] for g in p.get("groups") or []}
    assert later - firsts, "the sample has multi-id groups"
    assert not (later - firsts) & set(scan.vulnerabilities)
    assert "git" in scan.covers and "pypi" in scan.covers


def test_osv_scanner_record_without_severity_is_unknown():
    scan = parse(sample_json("dd_osv_scanner_some_findings.json"))
    (vuln,) = scan.vulnerabilities.values()
    assert vuln.identifier == "MAL-2023-1035" and vuln.severity == "unknown" and vuln.score is None


def test_npm_audit_v2_advisories_from_via_objects():
    scan = parse(sample_json("dd_npm_audit_7_plus_one_vuln.json"))
    assert scan.format == "npm-audit" and scan.covers == {"npm"}
    assert set(scan.vulnerabilities) == {"GHSA-gxpj-cx7g-858c", "GHSA-9vvw-cc9w-f27h"}
    assert scan.vulnerabilities["GHSA-9vvw-cc9w-f27h"].severity == "high"
    assert scan.vulnerabilities["GHSA-9vvw-cc9w-f27h"].score == Decimal("7.5")
    assert list(scan.components) == [("npm", "debug", "")]


def test_npm_audit_other_report_versions_are_refused():
    data = sample_json("dd_npm_audit_7_plus_one_vuln.json")
    data["auditReportVersion"] = 1
    with pytest.raises(ScanFormatError, match="report version 2"):
        parse(data)


@pytest.mark.parametrize("name", ["cyclonedx_py_7.5.0_env_1.6.json", "cyclonedx_py_7.5.0_env_1.5.json"])
def test_cyclonedx_sbom_of_our_own_environment(name):
    scan = parse(sample_json(name))
    assert scan.format == "cyclonedx" and scan.inventory and not scan.findings
    assert ("pypi", "django", scan_version(scan, "django")) in scan.components
    assert scan.covers == set()  # an SBOM without vulnerabilities closes nothing


def scan_version(scan, name):
    return next(c.version for c in scan.components.values() if c.name == name)


def test_cyclonedx_1_4_vulnerabilities_affect_components_by_bom_ref():
    scan = parse(sample_json("dd_cyclonedx_log4j.json"))
    assert len(scan.findings) == 8
    assert {c.ecosystem for c in scan.components.values()} == {"maven"}
    (component,) = scan.components.values()
    assert component.name == "org.apache.logging.log4j:log4j-core"
    severities = sorted(v.severity for v in scan.vulnerabilities.values())
    assert severities.count("critical") == 4


def test_cyclonedx_spec_versions_outside_1_4_to_1_6_are_refused():
    data = sample_json("dd_cyclonedx_valid-vulnerability-1.4.json")
    data["specVersion"] = "1.2"
    with pytest.raises(ScanFormatError, match="specVersion must be one of 1.4, 1.5, 1.6"):
        parse(data)


def test_cyclonedx_affects_must_name_a_component():
    data = sample_json("dd_cyclonedx_valid-vulnerability-1.4.json")
    data["vulnerabilities"][0]["affects"] = [{"ref": "nowhere"}]
    with pytest.raises(ScanFormatError, match="names no component"):
        parse(data)


@pytest.mark.parametrize("name,fmt", [
    ("dd_pip_audit_many_vulns.json", "pip-audit"), ("dd_pip_audit_many_vulns_new.json", "pip-audit"),
    ("dd_osv_scanner_some_findings.json", "osv-scanner"), ("dd_npm_audit_7_plus_many_vulns.json", "npm-audit"),
    ("cyclonedx_py_7.5.0_env_1.6.json", "cyclonedx"),
])
def test_detection(name, fmt):
    assert detect(sample_json(name)) == fmt


@pytest.mark.parametrize("data", [{}, {"hello": 1}, "text", 3, {"results": "no"}])
def test_unknown_content_names_the_expected_formats(data):
    with pytest.raises(ScanFormatError) as exc:
        parse(data)
    assert "expected" in str(exc.value)


def test_named_format_that_does_not_match_is_refused():
    with pytest.raises(ScanFormatError, match="OSV-Scanner"):
        parse(sample_json("dd_pip_audit_many_vulns_new.json"), "osv-scanner")


@pytest.mark.parametrize("vector,severity,score", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "critical", Decimal("9.8")),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "high", Decimal("7.5")),  # exactly 7.0-8.9: high
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "medium", Decimal("5.3")),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "low", Decimal("0.0")),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "critical", Decimal("9.3")),
])
def test_cvss_vectors_score(vector, severity, score):
    assert score_vector(vector) == (severity, score)


def test_cvss_v4_preferred_and_bad_vectors_ignored():
    severity, vector, score = best_vector(["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "garbage",
                                           "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"])
    assert vector.startswith("CVSS:4.0/") and severity == "critical"
    assert best_vector(["nonsense"]) == ("unknown", "", None)
    assert from_label("moderate") == "medium" and from_label("???") == "unknown"
