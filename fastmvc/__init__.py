"""FastMVC: an async-first MVC framework for FastAPI on SQLAlchemy 2.0 asyncio.

The curated public API is importable from here. Names load lazily, so
``import fastmvc`` stays cheap (the CLI's ``--version`` relies on it).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastmvc.access import Policy
    from fastmvc.app import create_app
    from fastmvc.controller import Controller, CRUDController, envelope
    from fastmvc.db import Base, Database, Entity, OwnedMixin, SoftDeleteMixin
    from fastmvc.dependencies import SessionDep
    from fastmvc.dto import DTO, Envelope, ErrorEnvelope, OutDTO, Page
    from fastmvc.errors import (
        BadRequestError,
        ConflictError,
        FastMVCError,
        ForbiddenError,
        NotFoundError,
        UnauthorizedError,
        ValidationFailedError,
    )
    from fastmvc.repository import F, PageRequest, Repository
    from fastmvc.service import CRUDService, Service
    from fastmvc.settings import Settings, get_settings

__version__ = "0.1.0"

_EXPORTS = {
    "BadRequestError": "fastmvc.errors",
    "Base": "fastmvc.db",
    "CRUDController": "fastmvc.controller",
    "CRUDService": "fastmvc.service",
    "ConflictError": "fastmvc.errors",
    "Controller": "fastmvc.controller",
    "DTO": "fastmvc.dto",
    "Database": "fastmvc.db",
    "Entity": "fastmvc.db",
    "Envelope": "fastmvc.dto",
    "ErrorEnvelope": "fastmvc.dto",
    "F": "fastmvc.repository",
    "FastMVCError": "fastmvc.errors",
    "ForbiddenError": "fastmvc.errors",
    "NotFoundError": "fastmvc.errors",
    "OutDTO": "fastmvc.dto",
    "OwnedMixin": "fastmvc.db",
    "Page": "fastmvc.dto",
    "PageRequest": "fastmvc.repository",
    "Policy": "fastmvc.access",
    "Repository": "fastmvc.repository",
    "Service": "fastmvc.service",
    "SessionDep": "fastmvc.dependencies",
    "Settings": "fastmvc.settings",
    "SoftDeleteMixin": "fastmvc.db",
    "UnauthorizedError": "fastmvc.errors",
    "ValidationFailedError": "fastmvc.errors",
    "create_app": "fastmvc.app",
    "envelope": "fastmvc.controller",
    "get_settings": "fastmvc.settings",
}

__all__ = [
    "DTO",
    "BadRequestError",
    "Base",
    "CRUDController",
    "CRUDService",
    "ConflictError",
    "Controller",
    "Database",
    "Entity",
    "Envelope",
    "ErrorEnvelope",
    "F",
    "FastMVCError",
    "ForbiddenError",
    "NotFoundError",
    "OutDTO",
    "OwnedMixin",
    "Page",
    "PageRequest",
    "Policy",
    "Repository",
    "Service",
    "SessionDep",
    "Settings",
    "SoftDeleteMixin",
    "UnauthorizedError",
    "ValidationFailedError",
    "__version__",
    "create_app",
    "envelope",
    "get_settings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fastmvc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
