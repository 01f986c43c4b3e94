"""Database.turn: sessions queue for the pool first come, first served."""

from __future__ import annotations

import asyncio

from fastmvc.db import Database


async def test_released_turns_go_to_the_longest_waiter_not_a_newcomer() -> None:
    # No connection is made: turns are handed out before the pool is touched.
    database = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=1, max_overflow=0)
    order: list[str] = []

    async def waiter(name: str) -> None:
        async with database.turn():
            order.append(name)

    held = database.turn()
    await held.__aenter__()
    waiters = []
    for number in range(3):
        waiters.append(asyncio.create_task(waiter(f"w{number}")))
        await asyncio.sleep(0)
    assert order == []  # the pool's only turn is taken: everyone waits
    await held.__aexit__(None, None, None)
    # Asking again straight after giving the turn back must not jump the queue.
    await waiter("newcomer")
    await asyncio.gather(*waiters)
    assert order == ["w0", "w1", "w2", "newcomer"]
    await database.dispose()


async def test_sqlite_has_no_gate() -> None:
    database = Database("sqlite+aiosqlite:///:memory:")
    async with database.turn(), database.turn():  # nested turns cannot block
        pass
    await database.dispose()
