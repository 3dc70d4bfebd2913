"""SSRF guard: resolve a host once, refuse internal addresses, and hand out only checked addresses.

The connection layer (`builder.net.transport`) connects to the addresses returned here, never
to a fresh DNS answer, so a host cannot pass the check with a public address and then be
reached at an internal one (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Iterable, Union

from builder.errors import LoomError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class SsrfBlocked(LoomError):
    """The host resolves only to addresses the guard refuses."""


class DnsError(LoomError):
    """The host name does not resolve."""


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv6 one (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_internal(ip: IPAddress) -> bool:
    """True for private, loopback, link-local, multicast, reserved or otherwise non-global addresses."""
    inner = _embedded_ipv4(ip)
    if inner is not None and is_internal(inner):
        return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class SsrfGuard:
    """Resolves host names (with a short cache) and keeps only addresses that may be contacted."""

    def __init__(self, allow_networks: Iterable[str] = (), dns_cache_ttl_s: float = 60.0) -> None:
        self.allow: list[IPNetwork] = [ipaddress.ip_network(n, strict=False) for n in allow_networks]
        self.ttl = dns_cache_ttl_s
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def permitted(self, ip: IPAddress) -> bool:
        if any(ip in net for net in self.allow if net.version == ip.version):
            return True
        inner = _embedded_ipv4(ip)
        if inner is not None and any(inner in net for net in self.allow if net.version == 4):
            return True
        return not is_internal(ip)

    def resolve(self, host: str, port: int) -> list[str]:
        """Addresses of `host` that may be contacted, in resolver order; raises SsrfBlocked / DnsError."""
        host = host.strip("[]").rstrip(".").lower()
        key = (host, port)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            addresses = hit[1]
        else:
            addresses = self._lookup(host, port)
            with self._lock:
                self._cache[key] = (now + self.ttl, addresses)
        allowed = [a for a in addresses if self.permitted(ipaddress.ip_address(a))]
        if not allowed:
            raise SsrfBlocked(f"{host} resolves only to refused addresses: {', '.join(addresses)}")
        return allowed

    @staticmethod
    def _lookup(host: str, port: int) -> list[str]:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise DnsError(f"{host}: {exc}") from None
        seen: list[str] = []
        for info in infos:
            addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
            if addr not in seen:
                seen.append(addr)
        if not seen:
            raise DnsError(f"{host}: no addresses")
        return seen
