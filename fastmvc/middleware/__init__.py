"""FastMVC's pure-ASGI middleware and the stack that orders them.

Most apps only call :func:`install_middleware` (``create_app`` does it); each
layer is also usable on its own. See :mod:`fastmvc.middleware.stack` for the
order and why.
"""

from fastmvc.middleware.access_log import ACCESS_LOGGER, PROCESS_TIME_HEADER, AccessLogMiddleware
from fastmvc.middleware.body_limit import BodyLimitMiddleware
from fastmvc.middleware.client_ip import canonical_ip, client_bucket, client_ip
from fastmvc.middleware.errors import ServerErrorMiddleware
from fastmvc.middleware.metrics import MetricsMiddleware
from fastmvc.middleware.request_context import REQUEST_ID_HEADER, RequestContextMiddleware
from fastmvc.middleware.security_headers import (
    API_CSP,
    SecurityHeadersMiddleware,
    docs_csp,
)
from fastmvc.middleware.stack import install_middleware

__all__ = [
    "ACCESS_LOGGER",
    "API_CSP",
    "PROCESS_TIME_HEADER",
    "REQUEST_ID_HEADER",
    "AccessLogMiddleware",
    "BodyLimitMiddleware",
    "MetricsMiddleware",
    "RequestContextMiddleware",
    "SecurityHeadersMiddleware",
    "ServerErrorMiddleware",
    "canonical_ip",
    "client_bucket",
    "client_ip",
    "docs_csp",
    "install_middleware",
]
