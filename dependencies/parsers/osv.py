"""OSV-Scanner JSON: results[].packages[] with full OSV records and `groups` of ids that are one issue."""

from dependencies.parsers.common import ParsedScan, ParsedVulnerability, ecosystem_of, need, package_name
from dependencies.severity import best_vector, from_score

FORMAT = "osv-scanner"


def detect(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("results"), list)


def _fixed_versions(record: dict, ecosystem: str, name: str) -> list[str]:
    fixed = set()
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if (ecosystem_of(package.get("ecosystem")) != ecosystem
                or package_name(ecosystem, package.get("name", "")) != name):
            continue
        for version_range in affected.get("ranges") or []:
            for event in version_range.get("events") or []:
                if event.get("fixed"):
                    fixed.add(str(event["fixed"]))
    return sorted(fixed)


def _group_vulnerability(ids, aliases, records, component, max_severity) -> ParsedVulnerability:
    """One finding per group: the first id names it, the others are aliases; the worst vector scores it."""
    known = [records[i] for i in ids if i in records]
    vectors = [s.get("score", "") for r in known for s in r.get("severity") or []
               if str(s.get("type", "")).startswith("CVSS_V")]
    severity, vector, score = best_vector(vectors)
    if score is None and max_severity not in (None, ""):
        try:
            severity = from_score(max_severity)  # OSV-Scanner's own figure when no vector parses
        except ValueError:
            pass
    first = known[0] if known else {}
    fixed = sorted({v for r in known for v in _fixed_versions(r, component.ecosystem, component.name)})
    all_aliases = set(aliases) | {a for r in known for a in r.get("aliases") or []} | set(ids)
    return ParsedVulnerability(
        identifier=ids[0], aliases=sorted(a for a in all_aliases if a != ids[0]),
        summary=str(first.get("summary") or first.get("details") or "")[:5000],
        severity=severity, score=score, vector=vector, fixed_versions=fixed,
        url=f"https://osv.dev/vulnerability/{ids[0]}",
    )


def parse(data) -> ParsedScan:
    need(detect(data), "OSV-Scanner: expected {\"results\": [...]}.")
    scan = ParsedScan(format=FORMAT)
    for r_index, result in enumerate(data["results"]):
        need(isinstance(result, dict) and isinstance(result.get("packages", []), list),
             f"OSV-Scanner: results[{r_index}].packages must be a list.")
        for p_index, entry in enumerate(result.get("packages", [])):
            where = f"results[{r_index}].packages[{p_index}]"
            package = entry.get("package") if isinstance(entry, dict) else None
            need(isinstance(package, dict), f"OSV-Scanner: {where}.package must be an object.")
            if not package.get("ecosystem") and package.get("commit"):
                # A git checkout scanned by commit: the source path names it, the commit is its version.
                source = str((result.get("source") or {}).get("path") or "").rstrip("/") or "git"
                package = {"ecosystem": "git", "name": package.get("name") or source, "version": package["commit"]}
            need(package.get("name") and package.get("ecosystem"),
                 f"OSV-Scanner: {where}.package needs a name and an ecosystem.")
            component = scan.add_component(package["ecosystem"], package["name"], package.get("version"))
            scan.covers.add(component.ecosystem)
            vulns = entry.get("vulnerabilities") or []
            need(isinstance(vulns, list), f"OSV-Scanner: {where}.vulnerabilities must be a list.")
            records = {}
            for v_index, record in enumerate(vulns):
                need(isinstance(record, dict) and record.get("id"), f"OSV-Scanner: {where}.vulnerabilities[{v_index}] "
                                                                    "needs an id.")
                records[record["id"]] = record
            groups = entry.get("groups") or [{"ids": [i]} for i in records]
            grouped = set()
            for g_index, group in enumerate(groups):
                ids = group.get("ids") if isinstance(group, dict) else None
                need(isinstance(ids, list) and ids, f"OSV-Scanner: {where}.groups[{g_index}] needs ids.")
                grouped |= set(ids)
                scan.add_vulnerability(component, _group_vulnerability(
                    [str(i) for i in ids], group.get("aliases") or [], records, component, group.get("max_severity")))
            for identifier in sorted(set(records) - grouped):  # a record no group mentions still counts
                scan.add_vulnerability(component, _group_vulnerability([identifier], [], records, component, None))
    return scan
