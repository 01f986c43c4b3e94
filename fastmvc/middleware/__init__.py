"""FastMVC's edge: the middleware steps and the one ASGI callable that runs them.

Most apps only call :func:`install_middleware` (``create_app`` does it); see
:mod:`fastmvc.middleware.stack` for the order, why, and the settings that
turn a step off or replace it. Each step is also usable on its own, as an
``Edge`` with one step (the ``…Middleware`` classes).
"""

from fastmvc.middleware.access_log import ACCESS_LOGGER, AccessLogMiddleware, AccessLogStep
from fastmvc.middleware.body_limit import BodyLimitMiddleware, BodyLimitStep
from fastmvc.middleware.client_ip import canonical_ip, client_bucket, client_ip
from fastmvc.middleware.cors import CORSStep
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.errors import ServerErrorMiddleware, ServerErrorStep
from fastmvc.middleware.metrics import MetricsMiddleware, MetricsStep
from fastmvc.middleware.request_context import (
    REQUEST_ID_HEADER,
    RequestContextMiddleware,
    RequestContextStep,
)
from fastmvc.middleware.security_headers import (
    API_CSP,
    PathPolicy,
    SecurityHeadersMiddleware,
    SecurityHeadersStep,
    docs_csp,
    docs_policy,
)
from fastmvc.middleware.stack import DEFAULT_STEPS, EdgeSetup, build_steps, install_middleware
from fastmvc.middleware.step import Exchange, Header, Reply, Step
from fastmvc.middleware.timing import PROCESS_TIME_HEADER, TimingStep

__all__ = [
    "ACCESS_LOGGER",
    "API_CSP",
    "DEFAULT_STEPS",
    "PROCESS_TIME_HEADER",
    "REQUEST_ID_HEADER",
    "AccessLogMiddleware",
    "AccessLogStep",
    "BodyLimitMiddleware",
    "BodyLimitStep",
    "CORSStep",
    "Edge",
    "EdgeSetup",
    "Exchange",
    "Header",
    "MetricsMiddleware",
    "MetricsStep",
    "PathPolicy",
    "Reply",
    "RequestContextMiddleware",
    "RequestContextStep",
    "SecurityHeadersMiddleware",
    "SecurityHeadersStep",
    "ServerErrorMiddleware",
    "ServerErrorStep",
    "Step",
    "TimingStep",
    "build_steps",
    "canonical_ip",
    "client_bucket",
    "client_ip",
    "docs_csp",
    "docs_policy",
    "install_middleware",
]
