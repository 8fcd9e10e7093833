"""Where the portal may send requests: webhooks and Prometheus pulls go through here, and only here.

`OPSPORTAL_OUTBOUND_ALLOW` (comma-separated) lists what may be reached:
host names (`prometheus.internal`), suffixes (`.svc.cluster.local`) and
CIDRs (`10.0.0.0/8`). Unset, any host may be reached except link-local and
cloud metadata addresses. Redirects are never followed (a redirect could
lead anywhere the list forbids).

- `validate_outbound_url(url)`: a Django validator for URL fields and forms:
  a refused URL is a ValidationError when it is saved.
- `open_url(request, timeout)`: checks the URL (and the addresses its host
  resolves to), then opens it without following redirects; a refusal raises
  OutboundRefused (a ValueError, so callers record it like any failed request).
"""

import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError

# Cloud metadata services: they hand out credentials, so no setting opens them by default.
METADATA_HOSTS = {
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
}
METADATA_ADDRESSES = {"169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"}


class OutboundRefused(ValueError):
    """The URL is not one the portal may reach (OPSPORTAL_OUTBOUND_ALLOW)."""


def _allow_list() -> list[str]:
    raw = getattr(settings, "OPSPORTAL_OUTBOUND_ALLOW", []) or []
    if isinstance(raw, str):
        raw = raw.split(",")
    return [entry.strip().lower() for entry in raw if entry.strip()]


def _literal_address(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _resolve(host: str) -> list:
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError, OSError):
        return []  # unresolvable: the request itself will fail; nothing to check
    found = []
    for info in infos:
        address = _literal_address(info[4][0].split("%")[0])
        if address is not None:
            found.append(address)
    return found


def _forbidden_by_default(address) -> bool:
    return str(address) in METADATA_ADDRESSES or address.is_link_local or (
        isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
        and _forbidden_by_default(address.ipv4_mapped)
    )


def _in_allow_list(host: str, addresses: list, allow: list[str]) -> bool:
    for entry in allow:
        if "/" in entry or _literal_address(entry) is not None:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if addresses and all(address in network for address in addresses):
                return True
        elif entry.startswith("."):
            if host.endswith(entry) or host == entry[1:]:
                return True
        elif host == entry:
            return True
    return False


def check_url(url: str, *, resolve: bool = True) -> None:
    """Raise OutboundRefused unless the portal may send a request to `url`."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(f"only http and https URLs may be used, not {url!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise OutboundRefused(f"{url!r} has no host")
    literal = _literal_address(host)
    addresses = [literal] if literal is not None else (_resolve(host) if resolve else [])
    allow = _allow_list()
    if allow:
        if _in_allow_list(host, addresses, allow):
            return
        if literal is None and not resolve and any("/" in entry for entry in allow):
            return  # a name checked against CIDRs is decided when it is used (resolved then)
        raise OutboundRefused(f"{host} is not in OPSPORTAL_OUTBOUND_ALLOW")
    if host in METADATA_HOSTS or any(_forbidden_by_default(address) for address in addresses):
        raise OutboundRefused(f"{host} is a link-local or cloud metadata address; the portal does not call it")


def validate_outbound_url(value: str) -> None:
    """Django validator: a URL the portal may not reach is refused when it is saved."""
    if not value:
        return
    try:
        check_url(value, resolve=False)
    except OutboundRefused as exc:
        raise ValidationError(f"This address may not be used: {exc}.", code="outbound_refused") from None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} not followed", headers, fp)


_opener = urllib.request.build_opener(_RefuseRedirects)


def open_url(request, *, timeout: float):
    """`urllib.request.urlopen` for outbound calls: allow-list checked, redirects refused."""
    url = request.full_url if isinstance(request, urllib.request.Request) else request
    check_url(url)
    return _opener.open(request, timeout=timeout)
