"""Property: every value the type map's DTO types accept is stored and read back equal.

Hypothesis draws JSON-level inputs for each column of the ``n5_samples`` table
(every kind of the type map), keeps those the request DTO accepts, writes
them through the repository and reads the row back with a plain Core SELECT,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.app.never500_app import Sample, SampleCreate, SampleRepository

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12, minutes=30))]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
PAYLOADS = st.fixed_dictionaries(
    {
        "count": st.integers(),
        "big": st.integers(),
        "ratio": st.floats() | st.integers(),
        "total": st.decimals(places=3, allow_nan=True).map(str)
        | st.from_regex(r"\A[+-]?\d{1,10}(\.\d{1,2})?\Z"),
        "label": st.text(max_size=45),
        "title": st.text(max_size=260),
        "body": st.text(),
        "flag": st.booleans(),
        "day": st.dates().map(lambda d: d.isoformat()),
        "seen_at": st.datetimes(timezones=ZONES).map(lambda d: d.isoformat()),
        "code": st.uuids().map(str),
        "tags": JSON_VALUES,
        "note": st.none() | st.text(max_size=20),
    }
)
COLUMNS = [c for c in Sample.__table__.columns if c.key in SampleCreate.model_fields]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=PAYLOADS)
async def test_what_the_dto_accepts_comes_back_equal(
    session: AsyncSession, payload: dict[str, Any]
) -> None:
    try:
        accepted = SampleCreate.model_validate(payload)
    except ValidationError:
        assume(False)
        return
    values = accepted.model_dump()
    values["code"] = uuid.UUID(str(values["code"]))
    row = await SampleRepository(session).create(values)
    stored = (await session.execute(select(*COLUMNS).where(Sample.__table__.c.id == row.id))).one()
    for column in COLUMNS:
        assert getattr(stored, column.key) == values[column.key], column.key
