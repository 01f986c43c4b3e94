"""The app the server tests serve: FastMVC's default stack and a few probe routes.

It is copied into a throwaway project and served by ``fastmvc run``. Each
worker appends what it saw (lifespan messages, slow requests) to the file
named by ``PROBE_EVENTS``, one ``event pid`` line at a time.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.types import Message, Receive, Scope, Send

from fastmvc.app import create_app
from fastmvc.context import current_context

EVENTS = Path(os.environ["PROBE_EVENTS"])


def record(event: str) -> None:
    with EVENTS.open("a") as events:
        events.write(f"{event} {os.getpid()}\n")


record("importing")
# Lets a test signal the server while its workers are still starting.
time.sleep(float(os.environ.get("PROBE_IMPORT_DELAY", "0")))

router = APIRouter(prefix="/probe")


@router.get("/peer")
async def peer(request: Request) -> dict[str, str | None]:
    ctx = current_context()
    client = request.scope.get("client")
    return {
        "client_ip": ctx.client_ip if ctx else None,
        "server_client": client[0] if client else None,
        "scheme": request.url.scheme,
    }


@router.post("/echo")
async def echo(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@router.get("/logged/{token}")
async def logged(token: str) -> dict[str, str]:
    return {"token": token}


@router.get("/slow")
async def slow(seconds: float = 2.0) -> dict[str, bool]:
    record("slow-started")
    await asyncio.sleep(seconds)
    record("slow-finished")
    return {"slow": True}


fastmvc_app = create_app(routers=[router])


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """FastMVC's app, recording the lifespan messages it sends to the server."""
    if scope["type"] != "lifespan":
        await fastmvc_app(scope, receive, send)
        return

    async def send_recorded(message: Message) -> None:
        record(message["type"])
        await send(message)

    await fastmvc_app(scope, receive, send_recorded)
