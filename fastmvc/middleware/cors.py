"""The CORS step: Starlette's CORS rules, with the simple-response headers prebuilt.

Preflight requests (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) are answered by Starlette's own
:meth:`~starlette.middleware.cors.CORSMiddleware.preflight_response`, so the
rules stay Starlette's; this step only saves the per-response work of the
common case, an ordinary request.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware

from fastmvc.middleware.step import Exchange, Header, Reply, Step

__all__ = ["CORSStep"]

_ORIGIN = b"origin"
_REQUEST_METHOD = b"access-control-request-method"
_VARY = b"vary"
_ALLOW_ORIGIN = b"access-control-allow-origin"


async def _unused_app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("the CORS step never calls the app through Starlette's middleware")


class CORSStep(Step):
    """Answer CORS preflights and add the CORS headers to every other response.

    Behaves as :class:`starlette.middleware.cors.CORSMiddleware` with the
    same arguments: an allowed ``Origin`` is echoed (``*`` when every origin
    is allowed without credentials), ``Access-Control-Expose-Headers`` and
    ``Access-Control-Allow-Credentials`` go on every response to a request
    with an ``Origin``, and ``Vary: Origin`` whenever the answer depends on it.

    Args:
        allow_origins: Allowed origins; ``"*"`` allows every origin.
        allow_methods: Methods a preflight may ask for.
        allow_headers: Request headers a preflight may ask for.
        allow_credentials: Send ``Access-Control-Allow-Credentials: true``.
        expose_headers: Response headers scripts may read.
        max_age: Seconds a browser may cache a preflight answer.
    """

    name = "cors"

    def __init__(
        self,
        *,
        allow_origins: Sequence[str] = (),
        allow_methods: Sequence[str] = ("GET",),
        allow_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        expose_headers: Sequence[str] = (),
        max_age: int = 600,
    ) -> None:
        self.rules = CORSMiddleware(
            _unused_app,
            allow_origins=allow_origins,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            allow_credentials=allow_credentials,
            expose_headers=expose_headers,
            max_age=max_age,
        )
        self._simple: tuple[Header, ...] = tuple(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.rules.simple_headers.items()
        )
        simple_keys = frozenset(key for key, _ in self._simple)
        self._explicit: tuple[Header, ...] = tuple(
            header for header in self._simple if header[0] != _ALLOW_ORIGIN
        )
        # The header names Starlette sets (replacing the app's) in each case.
        self._vary_only = frozenset({_VARY})
        self._simple_keys = simple_keys | {_VARY}
        self._explicit_keys = simple_keys | {_VARY, _ALLOW_ORIGIN}

    def on_request(self, exchange: Exchange) -> Reply:
        if (
            exchange.scope["method"] == "OPTIONS"
            and exchange.header(_ORIGIN) is not None
            and exchange.header(_REQUEST_METHOD) is not None
        ):
            return self.rules.preflight_response(request_headers=Headers(scope=exchange.scope))
        return None

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        raw_origin = exchange.header(_ORIGIN)
        rules = self.rules
        added: list[Header] = []
        replaced = self._vary_only
        if raw_origin is not None:
            origin = raw_origin.decode("latin-1")
            if (rules.allow_all_origins and rules.allow_credentials) or (
                not rules.allow_all_origins and rules.is_allowed_origin(origin=origin)
            ):
                added.extend(self._explicit)
                added.append((_ALLOW_ORIGIN, raw_origin))
                replaced = self._explicit_keys
            else:
                added.extend(self._simple)
                replaced = self._simple_keys
        # As Starlette: these replace the app's values, and Origin joins the app's Vary.
        vary = [value for key, value in headers if key == _VARY]
        if any(key in replaced for key, _ in headers):
            headers[:] = [(key, value) for key, value in headers if key not in replaced]
        headers.extend(added)
        headers.append((_VARY, b", ".join([*vary, b"Origin"])))
