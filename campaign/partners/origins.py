"""The origins (scheme://host[:port]) whose pages may frame a partner's embedded
form. They go into the Content-Security-Policy header as they are written here,
so only a plain origin is accepted: no path, no wildcard, no keyword, no user."""

from __future__ import annotations

import ipaddress
import re

from flask_babel import lazy_gettext as _l

MAX_ORIGINS = 20
_SHAPE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#@]*)(?P<rest>.*)$")
_IPV6 = re.compile(r"^\[(?P<host>[^\]]+)\](?::(?P<port>[0-9]*))?$")
_NAME = re.compile(r"^(?P<host>[^:\[\]]+)(?::(?P<port>[0-9]*))?$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginError(ValueError):
    """The text is no origin a page may frame from; the message says why (translated
    when turned into a string)."""


def _host(raw: str) -> tuple[str, bool]:
    """The host as a header may carry it, and whether it is this computer (loopback)."""
    if raw.startswith("["):
        try:
            ip = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise OriginError(_l("This address is not valid.")) from None
        if ip.scope_id is not None:  # "%eth0" names an interface of one computer only
            raise OriginError(_l("This address is not valid."))
        return f"[{ip.compressed}]", ip.is_loopback
    try:
        ip4 = ipaddress.IPv4Address(raw)
    except ValueError:
        pass
    else:
        return str(ip4), ip4.is_loopback
    labels = raw.rstrip(".").split(".")
    if len(raw) > 253 or not all(_LABEL.match(label) for label in labels):
        raise OriginError(_l("This is not a host name."))
    if labels[-1].isdigit():
        raise OriginError(_l("This address is not valid."))
    host = ".".join(labels)
    return host, host == "localhost"


def parse_origin(text: str) -> str:
    """``text`` as a normalised origin: lower case, no default port, the host in its
    ASCII (punycode) form. http:// only for this computer's own addresses (tests,
    development); anything else needs https://. Raises OriginError."""
    value = (text or "").strip()
    example = _l("Write one origin per line, such as https://www.example.org")
    if not value or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise OriginError(example)
    shape = _SHAPE.match(value)
    if not shape:
        raise OriginError(example)
    if shape.group("rest") not in ("", "/") or "@" in value:
        raise OriginError(
            _l("Only the origin: the scheme, the host and, if needed, the port; no path.")
        )
    scheme = shape.group("scheme").lower()
    if scheme not in _DEFAULT_PORTS:
        raise OriginError(
            _l("Use https:// (http:// only for this computer's own addresses, for testing).")
        )
    authority = _IPV6.match(shape.group("authority")) or _NAME.match(shape.group("authority"))
    if not authority:
        raise OriginError(example)
    raw_host = authority.group("host")
    if shape.group("authority").startswith("["):
        raw_host = f"[{raw_host}]"
    try:
        raw_host = raw_host.encode("idna").decode("ascii") if not raw_host.isascii() else raw_host
    except UnicodeError:
        raise OriginError(_l("This is not a host name.")) from None
    host, loopback = _host(raw_host.lower())
    if scheme == "http" and not loopback:
        raise OriginError(
            _l("Use https:// (http:// only for this computer's own addresses, for testing).")
        )
    port = authority.group("port")
    if port is not None:
        if not port or len(port) > 5 or not 0 < int(port) < 65536:
            raise OriginError(_l("The port must be a number from 1 to 65535."))
        port = None if int(port) == _DEFAULT_PORTS[scheme] else str(int(port))
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def parse_origins(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The origins in ``text`` (one a line, blank lines skipped, duplicates once) and
    the lines refused with why: ([origin, …], [(line, message), …])."""
    origins: list[str] = []
    refused: list[tuple[str, str]] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        try:
            origin = parse_origin(line)
        except OriginError as exc:
            refused.append((line.strip()[:80], str(exc)))
        else:
            if origin not in origins:
                origins.append(origin)
    return origins, refused
