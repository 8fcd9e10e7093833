"""What every parser returns: the components a report lists and the (component, vulnerability) pairs."""

from dataclasses import dataclass, field
from decimal import Decimal

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from dependencies.models import Severity


class ScanFormatError(ValueError):
    """The body is not the format it claims (or no known format): the message says what was expected."""


# OSV ecosystem names -> purl types, so a package is the same Component whichever tool reported it.
ECOSYSTEMS = {
    "pypi": "pypi", "npm": "npm", "packagist": "composer", "maven": "maven", "go": "golang",
    "crates.io": "cargo", "rubygems": "gem", "nuget": "nuget", "pub": "pub", "hex": "hex",
}


def ecosystem_of(name: str) -> str:
    name = (name or "").strip().lower()
    return ECOSYSTEMS.get(name, name)


def package_name(ecosystem: str, name: str) -> str:
    """PyPI names compare after PEP 503 normalisation (Django == django, zope.interface == zope-interface)."""
    name = (name or "").strip()
    return canonicalize_name(name) if ecosystem == "pypi" else name


def purl_for(ecosystem: str, name: str, version: str) -> str:
    if not ecosystem or not name:
        return ""
    namespace, _, short = name.rpartition("/") if ecosystem in ("npm", "composer", "golang") else ("", "", name)
    if ecosystem == "maven" and ":" in name:
        namespace, short = name.split(":", 1)
    try:
        return PackageURL(type=ecosystem, namespace=namespace or None, name=short, version=version or None).to_string()
    except ValueError:
        return ""


@dataclass(frozen=True)
class ParsedComponent:
    ecosystem: str
    name: str
    version: str
    purl: str = ""

    @property
    def key(self):
        return (self.ecosystem, self.name, self.version)


@dataclass
class ParsedVulnerability:
    identifier: str
    aliases: list = field(default_factory=list)
    summary: str = ""
    severity: str = Severity.UNKNOWN
    score: Decimal | None = None
    vector: str = ""
    fixed_versions: list = field(default_factory=list)
    url: str = ""


@dataclass
class ParsedScan:
    format: str
    components: dict = field(default_factory=dict)  # key -> ParsedComponent
    vulnerabilities: dict = field(default_factory=dict)  # identifier -> ParsedVulnerability
    findings: set = field(default_factory=set)  # (component key, vulnerability identifier)
    skipped: list = field(default_factory=list)
    # An inventory lists every component (SBOM, pip-audit), not only the vulnerable ones.
    inventory: bool = False
    # Ecosystems the report speaks for: an open finding of these it does not list is fixed.
    covers: set = field(default_factory=set)

    def add_component(self, ecosystem: str, name: str, version, purl: str = "") -> ParsedComponent:
        ecosystem = ecosystem_of(ecosystem)
        name = package_name(ecosystem, name)
        version = str(version or "").strip()
        if not ecosystem or not name:
            raise ScanFormatError(f"{self.format}: a package without an ecosystem or a name.")
        purl = (purl or purl_for(ecosystem, name, version))[:600]
        component = ParsedComponent(ecosystem, name[:300], version[:100], purl)
        return self.components.setdefault(component.key, component)

    def add_vulnerability(self, component: ParsedComponent, vulnerability: ParsedVulnerability) -> None:
        if not vulnerability.identifier:
            raise ScanFormatError(f"{self.format}: a vulnerability without an id (in {component.name}).")
        known = self.vulnerabilities.get(vulnerability.identifier)
        if known is None:
            self.vulnerabilities[vulnerability.identifier] = vulnerability
        else:  # the same advisory on several packages: keep the union of what was said
            known.aliases = sorted(set(known.aliases) | set(vulnerability.aliases))
            known.fixed_versions = sorted(set(known.fixed_versions) | set(vulnerability.fixed_versions))
            if known.score is None and vulnerability.score is not None:
                known.severity, known.score, known.vector = (vulnerability.severity, vulnerability.score,
                                                             vulnerability.vector)
        self.findings.add((component.key, vulnerability.identifier))


def need(condition, message: str) -> None:
    if not condition:
        raise ScanFormatError(message)
