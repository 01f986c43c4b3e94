"""Client IPs in one canonical spelling, and IPv6 clients grouped by network (issue 8, defect 4)."""

from __future__ import annotations

import ipaddress

import pytest
from starlette.types import Scope

from fastmvc.middleware.client_ip import canonical_ip, client_bucket, client_ip, parse_ip

PROXY = [ipaddress.ip_network("10.0.0.0/8")]

# Fourteen ways to write 2001:db8::1.
SPELLINGS = [
    "2001:db8::1",
    "2001:DB8::1",
    "2001:0db8::1",
    "2001:0DB8:0000:0000:0000:0000:0000:0001",
    "2001:db8:0:0:0:0:0:1",
    "2001:db8::0:1",
    "2001:db8:0::1",
    "2001:db8:0:0::0001",
    "[2001:db8::1]",
    "[2001:db8::1]:443",
    "[2001:DB8:0::1]:8080",
    " 2001:db8::1 ",
    "2001:db8::1%eth0",
    "[2001:db8::1%25eth0]:80",
]


def _scope(peer: str, forwarded: str | None = None) -> Scope:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return {"type": "http", "client": (peer, 50000), "headers": headers}


def test_every_spelling_of_one_ipv6_address_is_one_client() -> None:
    assert len(SPELLINGS) == 14
    seen = {client_ip(_scope("10.0.0.1", spelling), PROXY) for spelling in SPELLINGS}
    assert seen == {"2001:db8::1"}
    assert {canonical_ip(spelling) for spelling in SPELLINGS} == {"2001:db8::1"}


@pytest.mark.parametrize(
    "mapped", ["::ffff:203.0.113.7", "::FFFF:cb00:7107", "[::ffff:203.0.113.7]:9"]
)
def test_ipv4_mapped_addresses_fold_to_ipv4(mapped: str) -> None:
    assert canonical_ip(mapped) == "203.0.113.7"
    assert client_ip(_scope("10.0.0.1", mapped), PROXY) == "203.0.113.7"
    # A dual-stack socket reports IPv4 peers this way too.
    assert client_ip(_scope(mapped.strip("[]").split("]")[0]), ()) == "203.0.113.7"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [("203.0.113.7:5123", "203.0.113.7"), ("[2001:db8::7]:443", "2001:db8::7")],
)
def test_port_forms_in_x_forwarded_for_name_the_client_not_the_proxy(
    entry: str, expected: str
) -> None:
    assert client_ip(_scope("10.0.0.1", entry), PROXY) == expected
    assert client_ip(_scope("10.0.0.1", f"{entry}, 10.0.0.2:80"), PROXY) == expected


def test_a_mapped_peer_matches_an_ipv4_trusted_proxy() -> None:
    assert client_ip(_scope("::ffff:10.0.0.1", "203.0.113.7"), PROXY) == "203.0.113.7"


@pytest.mark.parametrize("junk", ["unknown", "_hidden", "1.2.3", "[::1", "1.2.3.4:http", ""])
def test_junk_is_not_an_address(junk: str) -> None:
    assert parse_ip(junk) is None


def test_an_unparseable_hop_stops_at_the_last_trusted_hop() -> None:
    assert client_ip(_scope("10.0.0.1", "203.0.113.7, garbage"), PROXY) == "10.0.0.1"


def test_ipv6_clients_are_bucketed_by_prefix() -> None:
    one_host = [f"2001:db8:1:2::{suffix:x}" for suffix in (1, 2, 0xFFFF, 0xABCD)]
    assert {client_bucket(ip) for ip in one_host} == {"2001:db8:1:2::/64"}
    assert client_bucket("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert client_bucket("2001:db8:1:2::1", 48) == client_bucket("2001:db8:1:3::1", 48)
    assert client_bucket("2001:db8:1:2::1", 128) == "2001:db8:1:2::1"
    assert client_bucket("203.0.113.7") == "203.0.113.7"
    assert client_bucket("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_bucket("testclient") == "testclient"
