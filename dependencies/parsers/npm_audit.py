"""npm audit --json, report version 2 (npm 7+): advisories are the `via` objects of each package."""

import re

from dependencies.parsers.common import ParsedScan, ParsedVulnerability, need
from dependencies.severity import from_label, score_vector

FORMAT = "npm-audit"
GHSA = re.compile(r"(GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})", re.IGNORECASE)


def detect(data) -> bool:
    return isinstance(data, dict) and "auditReportVersion" in data


def _advisory(pkg_name: str, via: dict, fix) -> ParsedVulnerability:
    url = str(via.get("url") or "")
    match = GHSA.search(url)
    identifier = match.group(1) if match else f"NPM-{via.get('source')}"
    vector = str((via.get("cvss") or {}).get("vectorString") or "")
    scored = score_vector(vector)
    severity, score = scored if scored else (from_label(via.get("severity")), None)
    fixed = [fix["version"]] if isinstance(fix, dict) and fix.get("name") == pkg_name and fix.get("version") else []
    return ParsedVulnerability(identifier=identifier, summary=str(via.get("title") or ""), severity=severity,
                               score=score, vector=vector if scored else "", fixed_versions=fixed, url=url[:500])


def parse(data) -> ParsedScan:
    need(isinstance(data, dict) and data.get("auditReportVersion") == 2,
         "npm audit: expected report version 2 (npm 7 or later: \"auditReportVersion\": 2).")
    packages = data.get("vulnerabilities")
    need(isinstance(packages, dict), "npm audit: expected \"vulnerabilities\" to be an object.")
    scan = ParsedScan(format=FORMAT, covers={"npm"})
    for key, entry in packages.items():
        need(isinstance(entry, dict), f"npm audit: vulnerabilities.{key} must be an object.")
        name = entry.get("name") or key
        need(isinstance(entry.get("via", []), list), f"npm audit: vulnerabilities.{key}.via must be a list.")
        # String `via` entries only say "depends on a vulnerable package": that package has its own entry.
        advisories = [via for via in entry.get("via", []) if isinstance(via, dict)]
        if not advisories:
            continue
        # npm audit names the vulnerable range, not the installed version.
        component = scan.add_component("npm", name, "")
        for via in advisories:
            need(via.get("source") is not None or via.get("url"),
                 f"npm audit: vulnerabilities.{key}.via entries need a source or url.")
            scan.add_vulnerability(component, _advisory(name, via, entry.get("fixAvailable")))
    return scan
