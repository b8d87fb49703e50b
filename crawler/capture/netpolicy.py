"""Which network targets a crawl may reach.

A crawl of public police websites has no business on loopback, the LAN or
cloud metadata addresses: a hostile page (or a link in one) pointing there
could make us fetch, and archive, something private. Both the proxy (for every
request, the browser's included) and Scrapy's PrivateTargetMiddleware ask the
same question here.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# NAT64 (RFC 6052) carries an IPv4 address in its low 32 bits: judge that one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_private_address(ip: str) -> bool:
    """True for any address that is not plainly public unicast.

    Loopback, private (RFC 1918, ULA), link-local, shared (CGNAT), reserved,
    documentation, multicast and unspecified addresses all count, in IPv4 and
    IPv6; IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo)
    are judged by the embedded address. Anything unparsable counts as private:
    refusing is the safe side.
    """
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return True
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            return _not_public(embedded)
    return _not_public(addr)


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]  # the client's address
    return None


def _not_public(addr) -> bool:
    # is_global alone lets multicast through (Python counts 224/4 as global).
    return (
        not addr.is_global
        or addr.is_multicast
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_private
        or addr.is_reserved
        or addr.is_unspecified
    )


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves); [] if it does not resolve."""
    host = (host or "").strip("[]")
    if not host:
        return []
    try:
        infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return []
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = sockaddr[0]
        if ip not in seen:
            seen.append(ip)
    return seen


def private_host(host: str, port: int | None = None) -> str | None:
    """The first private address ``host`` resolves to, or None (also when it does not resolve)."""
    for ip in resolve(host, port):
        if is_private_address(ip):
            return ip
    return None


def host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "", port or _DEFAULT_PORTS.get(parts.scheme.lower()))


def private_target(url: str) -> str | None:
    """The private address ``url``'s host resolves to, or None.

    Unresolvable hosts are not private: the fetch is left to fail on its own.
    """
    host, port = host_port(url)
    if not host:
        return None
    return private_host(host, port)
