"""Which webhook URLs the server may call: HTTPS to public addresses only, so that a
partner's URL cannot make this server reach its own machine or private network
(server-side request forgery).

A URL is checked when an admin adds it and again before every delivery, against the
addresses its name resolves to at that moment; the delivery then connects to exactly
the address that was checked (webhook_http), so a name that resolves to a public
address for the check and to a private one for the connection (DNS rebinding) gains
nothing. WEBHOOKS_ALLOW_LOOPBACK (tests, a development machine; never production)
also lets loopback addresses through, over plain http too."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LENGTH = 500  # WebhookEndpoint.url
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UnsafeURL(ValueError):
    """The URL may not be called. ``code`` says why (see REASONS), ``detail`` adds
    what was found (an address), for the delivery log."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{REASONS[code]}{': ' + detail if detail else ''}")
        self.code = code
        self.detail = detail


# code -> the reason in English, for the delivery log (forms translate the code).
REASONS = {
    "length": "the URL is too long",
    "characters": "the URL contains spaces, control characters or backslashes",
    "scheme": "the URL must start with https://",
    "userinfo": "the URL may not contain a user name or password",
    "host": "the URL has no valid host name",
    "port": "the URL has an invalid port",
    "resolve": "the host name does not resolve",
    "address": "the host name resolves to an address that is not public",
}


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str  # for the Host header and the TLS certificate's name
    port: int
    path: str  # path and query, as sent in the request line
    address: str


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Globally reachable unicast: not loopback, private, link-local (which holds the
    cloud metadata service at 169.254.169.254), shared, multicast, reserved or
    unspecified; for an IPv6 address that carries an IPv4 one, that one too."""
    inner = embedded_ipv4(ip)
    if inner is not None and not is_public(inner):
        return False
    return not (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
    )


def is_loopback(ip: IPAddress) -> bool:
    inner = embedded_ipv4(ip)
    return ip.is_loopback or (inner is not None and inner.is_loopback)


def parse(url: str, allow_loopback: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL of an acceptable shape, before any address
    is looked at; raises UnsafeURL."""
    if len(url) > MAX_LENGTH:
        raise UnsafeURL("length")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in url):
        raise UnsafeURL("characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeURL("host") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_loopback and scheme == "http"):
        raise UnsafeURL("scheme")
    if "@" in parts.netloc:
        raise UnsafeURL("userinfo")
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise UnsafeURL("port") from None
    if port == 0:
        raise UnsafeURL("port")
    if not host or host.startswith(".") or ".." in host:
        raise UnsafeURL("host")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeURL("host") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to now (an IP literal: itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL("resolve") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeURL("resolve")
    return addresses


def check(url: str, allow_loopback: bool) -> Target:
    """The target of ``url`` if the server may call it now; raises UnsafeURL. Every
    address the name resolves to must be acceptable (a name with one private
    address among public ones is refused), and plain http only reaches loopback."""
    scheme, host, port, path = parse(url, allow_loopback)
    addresses = resolve(host, port)
    for ip in addresses:
        if is_public(ip):
            if scheme == "http":
                raise UnsafeURL("scheme")
            continue
        if not (allow_loopback and is_loopback(ip)):
            raise UnsafeURL("address", str(ip))
    return Target(scheme, host, port, path, str(addresses[0]))
