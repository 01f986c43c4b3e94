"""parse_wrk reads wrk's report, including second-scale latencies padded with a space."""

from __future__ import annotations

from benchmarks.wrk import parse_wrk

SLOW = "\n".join(
    [
        "Running 1s test @ http://127.0.0.1:41503/products",
        "  1 threads and 8 connections",
        "  Latency Distribution",
        "     50%  418.63ms",
        "     75%  722.57ms",
        "     90%    1.00s ",  # wrk's own padding
        "     99%    1.05s ",
        "  15 requests in 1.08s, 15.08KB read",
        "  Non-2xx or 3xx responses: 2",
        "Requests/sec:     13.90",
    ]
)


def test_second_scale_latencies_with_trailing_spaces_parse() -> None:
    result = parse_wrk(SLOW)
    assert result.requests_per_second == 13.9
    assert result.p50_ms == 418.63
    assert result.p99_ms == 1050.0
    assert result.requests == 15
    assert result.non_2xx == 2
