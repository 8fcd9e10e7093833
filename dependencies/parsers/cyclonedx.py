"""CycloneDX JSON 1.4-1.6: `components` (nested too) is the inventory; `vulnerabilities` when present."""

from packageurl import PackageURL

from dependencies.parsers.common import ParsedScan, ParsedVulnerability, need
from dependencies.severity import best_vector, from_label, worst

FORMAT = "cyclonedx"
SPEC_VERSIONS = ("1.4", "1.5", "1.6")


def detect(data) -> bool:
    return isinstance(data, dict) and data.get("bomFormat") == "CycloneDX"


def _walk(components, path="components"):
    for index, component in enumerate(components or []):
        need(isinstance(component, dict), f"CycloneDX: {path}[{index}] must be an object.")
        yield f"{path}[{index}]", component
        yield from _walk(component.get("components"), f"{path}[{index}].components")


def _identity(component: dict):
    """(ecosystem, name, version, purl): from the purl when there is one, else a 'generic' package."""
    purl = component.get("purl")
    if purl:
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            parsed = None
        if parsed is not None:
            name = parsed.name
            if parsed.namespace:
                name = f"{parsed.namespace}:{parsed.name}" if parsed.type == "maven" else f"{parsed.namespace}/{name}"
            return parsed.type, name, parsed.version or component.get("version", ""), purl
    group = component.get("group")
    name = f"{group}/{component['name']}" if group else component["name"]
    return "generic", name, component.get("version", ""), ""


def _vector(rating: dict) -> str:
    vector = str(rating.get("vector") or "")
    method = str(rating.get("method") or "")
    if vector and not vector.startswith("CVSS:"):  # 1.4 tools often omit the prefix the method implies
        prefix = {"CVSSv31": "CVSS:3.1/", "CVSSv3": "CVSS:3.0/", "CVSSv4": "CVSS:4.0/"}.get(method)
        vector = (prefix + vector.lstrip("(").rstrip(")")) if prefix else vector
    return vector


def parse(data) -> ParsedScan:
    need(detect(data), "CycloneDX: expected \"bomFormat\": \"CycloneDX\".")
    need(str(data.get("specVersion")) in SPEC_VERSIONS,
         f"CycloneDX: specVersion must be one of {', '.join(SPEC_VERSIONS)} (got {data.get('specVersion')!r}).")
    scan = ParsedScan(format=FORMAT, inventory=True)
    by_ref = {}
    for path, component in _walk(data.get("components")):
        need(component.get("name"), f"CycloneDX: {path} needs a name.")
        ecosystem, name, version, purl = _identity(component)
        parsed = scan.add_component(ecosystem, name, version, purl)
        if component.get("bom-ref"):
            by_ref[component["bom-ref"]] = parsed
    vulnerabilities = data.get("vulnerabilities")
    if vulnerabilities is None:
        return scan  # an SBOM only: it fixes nothing, it says what runs
    need(isinstance(vulnerabilities, list), "CycloneDX: vulnerabilities must be a list.")
    scan.covers = {c.ecosystem for c in scan.components.values()}
    for index, vuln in enumerate(vulnerabilities):
        need(isinstance(vuln, dict) and vuln.get("id"), f"CycloneDX: vulnerabilities[{index}] needs an id.")
        ratings = [r for r in vuln.get("ratings") or [] if isinstance(r, dict)]
        severity, vector, score = best_vector(_vector(r) for r in ratings)
        if score is None:
            severity = worst(*(from_label(r.get("severity")) for r in ratings)) if ratings else severity
        aliases = sorted({str(ref.get("id")) for ref in vuln.get("references") or []
                          if isinstance(ref, dict) and ref.get("id") and ref.get("id") != vuln["id"]})
        source = vuln.get("source") or {}
        parsed = ParsedVulnerability(
            identifier=str(vuln["id"]), aliases=aliases,
            summary=str(vuln.get("description") or vuln.get("detail") or "")[:5000],
            severity=severity, score=score, vector=vector,
            url=str(source.get("url") or "")[:500] if str(source.get("url") or "").startswith("http") else "",
        )
        affects = vuln.get("affects") or []
        need(isinstance(affects, list) and affects, f"CycloneDX: vulnerabilities[{index}] needs affects.")
        for a_index, affect in enumerate(affects):
            ref = affect.get("ref") if isinstance(affect, dict) else None
            need(ref in by_ref, f"CycloneDX: vulnerabilities[{index}].affects[{a_index}].ref {ref!r} names no "
                                "component's bom-ref.")
            scan.add_vulnerability(by_ref[ref], parsed)
    return scan
