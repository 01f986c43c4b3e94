"""Cache keys for decorated functions, built from the call's bound arguments.

Two styles:

* **hashed** (the default): ``"{prefix}:{sha256 of the canonical JSON of the
  arguments}"``. Arguments are bound to the signature with defaults applied,
  so ``f(1)``, ``f(x=1)`` and ``f(1, y=<default>)`` share one key, and the
  digest is the same in every process (unlike ``hash()``).
* **template**: ``key="product:{product_id}"`` is formatted with the bound
  arguments (``str.format`` syntax, so ``{user.id}`` works). The result is the
  whole key, which makes explicit invalidation easy to write.

  Each substituted value is escaped before it goes in: ``%`` and every
  separator of the template (a character of its literal text other than an
  ASCII letter or digit) become ``%XX`` (UTF-8). With
  ``"report:{tenant}:{report}"`` the calls ``("acme:secret", "q1")`` and
  ``("acme", "secret:q1")`` give ``report:acme%3Asecret:q1`` and
  ``report:acme:secret%3Aq1``, never one shared entry. Values without such
  characters are unchanged (``product:42:en``).

  Why that is enough: an escaped value holds no separator, so the first
  separator after a field's start is always the template's own, and each
  value can be read back. That needs a separator between every two fields;
  a template such as ``"{a}{b}"`` or ``"{a}x{b}"`` cannot tell ``("ab", "c")``
  from ``("a", "bc")`` and is refused.
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
        self._formatter: _EscapingFormatter | None = None
        if template is not None:
            unknown |= _template_fields(template) - set(parameters)
            self._formatter = _EscapingFormatter(template)
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
            assert self._formatter is not None
            return self._formatter.vformat(self._template, (), bound.arguments)
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


class _EscapingFormatter(string.Formatter):
    """``str.format`` that percent-escapes each substituted value (see the module docstring)."""

    def __init__(self, template: str) -> None:
        literal = "".join(text for text, _, _, _ in self.parse(template))
        reserved = {"%", *(char for char in literal if _is_separator(char))}
        self._table = {
            ord(char): "".join(f"%{byte:02X}" for byte in char.encode("utf-8")) for char in reserved
        }

    def format_field(self, value: Any, format_spec: str) -> str:
        text: str = super().format_field(value, format_spec)
        return text.translate(self._table)


def _is_separator(char: str) -> bool:
    return not (char.isascii() and char.isalnum())


def _template_fields(template: str) -> set[str]:
    """The parameter names a format template refers to (``{user.id}`` refers to ``user``).

    Raises:
        ValueError: A field is positional, or two fields have no separator
            between them (their values could not be told apart).
    """
    fields = set()
    previous_was_field = False
    for text, field, _, _ in string.Formatter().parse(template):
        if previous_was_field and field is not None and not any(map(_is_separator, text)):
            raise ValueError(
                f"key template {template!r} has no separator between two fields; put one "
                "such as ':' between them"
            )
        if field is None:
            continue
        previous_was_field = True
        root = field.split(".", 1)[0].split("[", 1)[0]
        if not root or root.isdigit():
            raise ValueError(f"key template {template!r} must use parameter names, not positions")
        fields.add(root)
    return fields
