"""Engine, unit of work, declarative base and mixins."""

from fastmvc.db.base import NAMING_CONVENTION, Base
from fastmvc.db.engine import Database
from fastmvc.db.indexes import live_unique_index
from fastmvc.db.mixins import (
    Entity,
    IdMixin,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UrnMixin,
    VersionMixin,
)
from fastmvc.db.types import AnyJSON, UTCDateTime, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "AnyJSON",
    "Base",
    "Database",
    "Entity",
    "IdMixin",
    "OwnedMixin",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UTCDateTime",
    "UrnMixin",
    "VersionMixin",
    "live_unique_index",
    "utcnow",
]
