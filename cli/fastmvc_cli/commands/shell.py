"""``fastmvc shell``: an asyncio REPL with the app's settings, a session and every model.

The event loop runs in a background thread; each line typed is compiled with
top-level ``await`` allowed and, when it is a coroutine, run on that loop, as
``python -m asyncio`` does. So ``await session.scalars(sa.select(Post))``
works at the prompt, on the project's database.
"""

from __future__ import annotations

import ast
import asyncio
import code
import inspect
import threading
import types
from collections.abc import Mapping
from typing import Any

import typer

from fastmvc_cli.commands.routes import load_app
from fastmvc_cli.console import console
from fastmvc_cli.project import Project, find_project

__all__ = ["AsyncConsole", "app", "shell_namespace"]

app = typer.Typer()


class AsyncConsole(code.InteractiveConsole):
    """An interactive console whose lines may ``await``, run on ``loop``."""

    def __init__(self, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(namespace)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop

    def runcode(self, code: types.CodeType) -> None:
        """Run one compiled line; await it on the loop when it is a coroutine."""
        function = types.FunctionType(code, self.locals)
        try:
            result = function()
            if inspect.iscoroutine(result):
                asyncio.run_coroutine_threadsafe(result, self.loop).result()
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()


def shell_namespace(project: Project, application: Any) -> dict[str, Any]:
    """``app``, ``settings``, ``database``, ``session``, ``sa`` and every model."""
    import importlib

    import sqlalchemy as sa

    from fastmvc.db import Base

    runtime = application.state.fastmvc
    database = runtime.database
    models = importlib.import_module(f"{project.package}.models")
    namespace: dict[str, Any] = {
        "app": application,
        "settings": runtime.settings,
        "database": database,
        "session": database.sessionmaker(),
        "sa": sa,
        "select": sa.select,
    }
    for name in getattr(models, "__all__", dir(models)):
        value = getattr(models, name, None)
        if isinstance(value, type) and issubclass(value, Base):
            namespace[name] = value
    return namespace


def _banner(namespace: Mapping[str, Any]) -> str:
    names = ", ".join(sorted(namespace))
    return (
        f"FastMVC shell: await works here. In scope: {names}.\n"
        "Example: await session.scalars(select(User))   (Ctrl-D to leave)"
    )


@app.command("shell", epilog="Example:\n\n  fastmvc shell")
def shell() -> None:
    """Open an asyncio Python shell with the settings, a session and every model imported."""
    project = find_project()
    application = load_app(project)
    namespace = shell_namespace(project, application)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fastmvc-shell-loop", daemon=True)
    thread.start()
    try:
        AsyncConsole(namespace, loop).interact(banner=_banner(namespace), exitmsg="")
    finally:
        session = namespace["session"]
        database = namespace["database"]

        async def close() -> None:
            await session.close()
            await database.dispose()

        asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        console.print("bye")
