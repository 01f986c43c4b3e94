"""Generic async repositories: filters, sorting, offset and keyset pagination, upsert."""

from fastmvc.repository.base import Repository
from fastmvc.repository.cursor import decode_cursor, encode_cursor
from fastmvc.repository.filters import (
    OPERATORS,
    And,
    F,
    Filter,
    Not,
    Or,
    compile_filter,
    parse_filters,
)
from fastmvc.repository.page import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, PageResult
from fastmvc.repository.sorting import SortKey, parse_sort

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "OPERATORS",
    "And",
    "F",
    "Filter",
    "Not",
    "Or",
    "PageRequest",
    "PageResult",
    "Repository",
    "SortKey",
    "compile_filter",
    "decode_cursor",
    "encode_cursor",
    "parse_filters",
    "parse_sort",
]
