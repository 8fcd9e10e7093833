"""pip-audit JSON: a bare list (before 2.0) or {"dependencies": [...], "fixes": [...]}; skipped entries kept."""

from dependencies.parsers.common import ParsedScan, ParsedVulnerability, need

FORMAT = "pip-audit"


def detect(data) -> bool:
    return isinstance(data, list) or (isinstance(data, dict) and isinstance(data.get("dependencies"), list)
                                      and "bomFormat" not in data)


def parse(data) -> ParsedScan:
    entries = data if isinstance(data, list) else (data.get("dependencies") if isinstance(data, dict) else None)
    need(isinstance(entries, list), "pip-audit: expected a list of dependencies or {\"dependencies\": [...]}.")
    scan = ParsedScan(format=FORMAT, inventory=True, covers={"pypi"})
    for index, entry in enumerate(entries):
        need(isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"],
             f"pip-audit: dependencies[{index}] needs a name.")
        if entry.get("skip_reason"):
            scan.skipped.append({"name": entry["name"], "reason": str(entry["skip_reason"])})
            continue
        need("version" in entry, f"pip-audit: dependencies[{index}] ({entry['name']}) needs a version.")
        component = scan.add_component("pypi", entry["name"], entry["version"])
        vulns = entry.get("vulns", [])
        need(isinstance(vulns, list), f"pip-audit: dependencies[{index}].vulns must be a list.")
        for v_index, vuln in enumerate(vulns):
            need(isinstance(vuln, dict) and vuln.get("id"), f"pip-audit: dependencies[{index}].vulns[{v_index}] "
                                                            "needs an id.")
            scan.add_vulnerability(component, ParsedVulnerability(
                identifier=str(vuln["id"]),
                aliases=sorted(str(a) for a in vuln.get("aliases") or [] if a != vuln["id"]),
                summary=str(vuln.get("description") or "")[:5000],
                fixed_versions=[str(v) for v in vuln.get("fix_versions") or []],
                url=f"https://osv.dev/vulnerability/{vuln['id']}",  # pip-audit's ids are OSV ids (PYSEC, GHSA)
            ))
    return scan
