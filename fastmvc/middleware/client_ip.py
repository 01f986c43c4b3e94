"""Find the client's IP address, believing ``X-Forwarded-For`` only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

from fastmvc.settings import IPNetwork

__all__ = ["client_ip"]

_XFF = b"x-forwarded-for"


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(scope: Scope, trusted_proxies: Sequence[IPNetwork] = ()) -> str | None:
    """Return the address of the client that made the request.

    The peer address is the answer unless the peer is one of
    ``trusted_proxies``. Then ``X-Forwarded-For`` is walked from the right,
    skipping trusted hops, and the first untrusted address wins, so a client
    cannot forge its address by prepending its own entries.
    """
    peer = scope.get("client")
    address: str | None = peer[0] if peer else None
    if address is None or not trusted_proxies or not _is_trusted(address, trusted_proxies):
        return address
    forwarded: list[str] = []
    for key, value in scope.get("headers", ()):
        if key == _XFF:
            forwarded.extend(part.strip() for part in value.decode("latin-1").split(","))
    for hop in reversed(forwarded):
        if not hop:
            continue
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address
        if not _is_trusted(hop, trusted_proxies):
            return hop
        address = hop
    return address
