"""The client's IP address, in one canonical spelling, and the bucket it is limited in.

This module is the only judge of who the client is: ``X-Forwarded-For`` is
believed only from ``TRUSTED_PROXIES`` (``fastmvc run`` turns uvicorn's own
proxy-header handling off so nothing rewrites the peer before we look).

Every address goes through :mod:`ipaddress`, so the 14 ways to write one IPv6
address, ``[v6]:port``, ``v4:port`` and IPv4-mapped IPv6 (``::ffff:1.2.3.4``)
all come out as one string. The rate limiter then groups IPv6 clients by
network (:func:`client_bucket`), because one host usually owns a whole /64.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from starlette.types import Scope

from fastmvc.settings import IPNetwork

__all__ = ["DEFAULT_IPV6_PREFIX", "canonical_ip", "client_bucket", "client_ip", "parse_ip"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_IPV6_PREFIX = 64

_XFF = b"x-forwarded-for"


def parse_ip(text: str) -> IPAddress | None:
    """Read one address as proxies and servers write it, or ``None`` if it is not one.

    Accepts ``1.2.3.4``, ``1.2.3.4:80``, any spelling of an IPv6 address, with
    or without brackets, ``[v6]:443``, and a zone (``fe80::1%eth0``, dropped).
    IPv4-mapped IPv6 addresses are folded to their IPv4 address.
    """
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and not _is_port(text[end + 1 :])):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
        if not port.isdigit():
            return None
        text = host
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return _fold(address)


def _is_port(suffix: str) -> bool:
    return suffix.startswith(":") and suffix[1:].isdigit()


def _fold(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def canonical_ip(text: str) -> str | None:
    """One spelling per address (``ipaddress``'s compressed form), or ``None``."""
    address = parse_ip(text)
    return None if address is None else str(address)


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


# Every request asks about its peer, and a server sees the same peers over and
# over (its proxies, its busiest clients): parsing each spelling once saves
# the ipaddress module's pure-Python parser on nearly every request.
_CACHE_SIZE = 4096


@lru_cache(maxsize=_CACHE_SIZE)
def _peer(text: str) -> tuple[IPAddress | None, str]:
    """The peer's parsed address and its canonical spelling (``text`` when not an address)."""
    address = parse_ip(text)
    return address, text if address is None else str(address)


def client_ip(scope: Scope, trusted_proxies: Sequence[IPNetwork] = ()) -> str | None:
    """Return the canonical address of the client that made the request.

    The peer address is the answer unless the peer is one of
    ``trusted_proxies``. Then ``X-Forwarded-For`` is walked from the right,
    skipping trusted hops, and the first untrusted address wins, so a client
    cannot forge its address by prepending its own entries. A hop that is not
    an address at all stops the walk at the last trusted hop.
    """
    peer = scope.get("client")
    if not peer:
        return None
    address, canonical = _peer(str(peer[0]))
    if address is None:
        # Not an IP (a test client's "testclient", a Unix socket): keep it as is.
        return canonical
    if not trusted_proxies or not _is_trusted(address, trusted_proxies):
        return canonical
    forwarded: list[str] = []
    for key, value in scope.get("headers", ()):
        if key == _XFF:
            forwarded.extend(value.decode("latin-1").split(","))
    for entry in reversed(forwarded):
        if not entry.strip():
            continue
        hop = parse_ip(entry)
        if hop is None:
            break
        address = hop
        if not _is_trusted(hop, trusted_proxies):
            break
    return str(address)


@lru_cache(maxsize=_CACHE_SIZE)
def client_bucket(ip: str, ipv6_prefix: int = DEFAULT_IPV6_PREFIX) -> str:
    """The identity a per-client limit counts against.

    An IPv4 address is its own bucket; an IPv6 address counts against its
    ``/ipv6_prefix`` network (``2001:db8:1:2::/64``), so a host cannot dodge a
    limit by rotating through the addresses of its own prefix. Anything that
    is not an address is returned unchanged.
    """
    address = parse_ip(ip)
    if address is None:
        return ip
    if isinstance(address, ipaddress.IPv6Address) and ipv6_prefix < 128:
        return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))
    return str(address)
