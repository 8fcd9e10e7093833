"""Scan report parsers, one module per format; `parse(data, fmt)` detects the format when asked to."""

from dependencies.parsers import cyclonedx, npm_audit, osv, pip_audit
from dependencies.parsers.common import ParsedScan, ScanFormatError

# Detection order matters: pip-audit's {"dependencies": [...]} is checked after the formats with markers.
PARSERS = {m.FORMAT: m for m in (cyclonedx, npm_audit, osv, pip_audit)}
EXPECTED = ("pip-audit JSON (a list, or {\"dependencies\": [...]}), OSV-Scanner JSON ({\"results\": [...]}), "
            "npm audit JSON ({\"auditReportVersion\": 2, ...}) or CycloneDX JSON 1.4-1.6 "
            "({\"bomFormat\": \"CycloneDX\", ...})")


def detect(data) -> str:
    for name, module in PARSERS.items():
        if module.detect(data):
            return name
    raise ScanFormatError(f"Unknown report: expected {EXPECTED}.")


def parse(data, fmt: str = "auto") -> ParsedScan:
    if fmt in (None, "", "auto"):
        fmt = detect(data)
    if fmt not in PARSERS:
        raise ScanFormatError(f"format must be auto or one of {', '.join(PARSERS)}.")
    try:
        return PARSERS[fmt].parse(data)
    except (AttributeError, KeyError, TypeError) as exc:  # a shape the checks above did not foresee
        raise ScanFormatError(f"{fmt}: malformed report ({exc.__class__.__name__}: {exc}).") from exc


__all__ = ["EXPECTED", "PARSERS", "ParsedScan", "ScanFormatError", "detect", "parse"]
