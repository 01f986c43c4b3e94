"""Cache keys for decorated functions, built from the call's bound arguments.

Two styles:

* **hashed** (the default): ``"{prefix}:{sha256 of the canonical JSON of the
  arguments}"``. Arguments are bound to the signature with defaults applied,
  so ``f(1)``, ``f(x=1)`` and ``f(1, y=<default>)`` share one key, and the
  digest is the same in every process (unlike ``hash()``).
* **template**: ``key="product:{product_id}"`` is formatted with the bound
  arguments (``str.format`` syntax, so ``{user.id}`` works). The result is the
  whole key, which makes explicit invalidation easy to write.
"""

from __future__ import annotations

import hashlib
import inspect
import string
from collections.abc import Callable, Collection, Mapping
from typing import Any

from fastmvc.cache.serializer import canonical_json

__all__ = ["KeyBuilder"]

_SELF_NAMES = frozenset({"self", "cls"})


class KeyBuilder:
    """Turns the arguments of one call of ``func`` into its cache key (without namespace).

    Args:
        func: The decorated function.
        prefix: Start of hashed keys; defaults to ``module.qualname`` of ``func``.
        template: A ``str.format`` template over the parameter names; when
            given, it is the whole key and ``prefix`` must not be given.
        ignore: Parameter names left out of hashed keys (a DB session, a
            logger…). A leading ``self``/``cls`` parameter is always left out.

    Raises:
        ValueError: Both ``prefix`` and ``template`` are given, or they name a
            parameter ``func`` does not have.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        prefix: str | None = None,
        template: str | None = None,
        ignore: Collection[str] = (),
    ) -> None:
        if prefix is not None and template is not None:
            raise ValueError("give either a key template or a prefix, not both")
        self._signature = inspect.signature(func)
        parameters = list(self._signature.parameters)
        self._template = template
        self.prefix = prefix if prefix is not None else f"{func.__module__}.{func.__qualname__}"
        self._ignored = frozenset(ignore)
        if parameters and parameters[0] in _SELF_NAMES:
            self._ignored |= {parameters[0]}
        unknown = self._ignored - set(parameters) - _SELF_NAMES
        if template is not None:
            unknown |= _template_fields(template) - set(parameters)
        if unknown:
            raise ValueError(
                f"{func.__qualname__} has no parameter(s) {sorted(unknown)} named in its cache key"
            )

    @property
    def is_templated(self) -> bool:
        """Whether keys come from a template (and so share no common prefix)."""
        return self._template is not None

    def __call__(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
        """Return the key for ``func(*args, **kwargs)``.

        Raises:
            TypeError: The arguments do not fit the signature, or one of them
                cannot be turned into JSON for the hash.
        """
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if self._template is not None:
            return self._template.format_map(bound.arguments)
        arguments = {
            name: value for name, value in bound.arguments.items() if name not in self._ignored
        }
        try:
            text = canonical_json(arguments)
        except TypeError as exc:
            raise TypeError(
                f"cannot build a cache key from the arguments of {self.prefix}: {exc}. "
                "Name the offending parameter in ignore=(...) or give key='...'"
            ) from exc
        return f"{self.prefix}:{hashlib.sha256(text.encode()).hexdigest()}"


def _template_fields(template: str) -> set[str]:
    """The parameter names a format template refers to (``{user.id}`` refers to ``user``)."""
    fields = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is None:
            continue
        root = field.split(".", 1)[0].split("[", 1)[0]
        if not root or root.isdigit():
            raise ValueError(f"key template {template!r} must use parameter names, not positions")
        fields.add(root)
    return fields
