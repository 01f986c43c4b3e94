"""A lean pipeline for a plain Redis: commands packed once, one write, the replies read in order.

redis-py's own ``Pipeline`` re-encodes every argument of every command and
wraps each run in retry, metrics and bookkeeping layers; for the limiter's
batches, where each command is a handful of short strings, that costs more
CPU than the round trip it saves. Here each command is packed straight to
RESP bytes, and the batch runs on a connection borrowed from the client's
own pool, so authentication, TLS, timeouts, reconnection and the client's
retry policy are still redis-py's.

Replies are parsed by redis-py's parser (integers, strings, arrays, errors);
nothing is unpickled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["pack_command", "run_packed"]


def pack_command(*args: str | int | bytes) -> bytes:
    """One command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        value = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(value), value))
    return b"".join(parts)


async def run_packed(redis: Redis, commands: Sequence[bytes]) -> list[Any]:
    """Send ``commands`` in one write on one pooled connection; one reply per command.

    A command the server refuses gets its :class:`~redis.exceptions.ResponseError`
    in its place (``NOSCRIPT``, ``READONLY``…); the others still get their
    replies. A lost connection is retried as the client's ``retry`` says (the
    whole batch again, on a fresh connection), so each command must be safe to
    run twice.

    Raises:
        redis.exceptions.RedisError: The connection failed (after the retries).
        OSError: Likewise, from the socket.
    """
    from redis.exceptions import ResponseError

    pool = redis.connection_pool
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    packed = b"".join(commands)

    async def send_and_read() -> list[Any]:
        await connection.send_packed_command(packed)
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(await connection.read_response())
            except ResponseError as error:
                replies.append(error)
        return replies

    async def reconnect(error: BaseException) -> None:
        await connection.disconnect()

    try:
        replies: list[Any] = await connection.retry.call_with_retry(send_and_read, reconnect)
        return replies
    except BaseException:
        # Replies may be left unread on the socket: never hand it to another caller
        # (redis-py's reads already drop it on error; a failed write may not).
        await connection.disconnect()
        raise
    finally:
        await pool.release(connection)
