"""Keeping the generated project's README.md list of entities up to date.

The project template's README has an ``## Entities`` section. ``add entity``
writes one line per entity there, and ``add field`` adds the new fields to that
line. A README without the section (hand-edited away) is left alone.
"""

from __future__ import annotations

from fastmvc_cli.fields import FieldSpec
from fastmvc_cli.options import EntityOptions

__all__ = ["describe_field", "register_entity_in_readme"]

HEADING = "## Entities"
PLACEHOLDER = "- none yet"


def describe_field(field: FieldSpec) -> str:
    """``title`` (str), ``author`` → User, ``tags`` → many Tag."""
    optional = "?" if field.nullable else ""
    if field.is_reference:
        return f"`{field.name}`{optional} → {field.target.class_name}"
    if field.is_many:
        return f"`{field.name}` → many {field.target.class_name}"
    unique = ", unique" if field.unique else ""
    return f"`{field.name}`{optional} ({field.type.name}{unique})"


def _line(options: EntityOptions, extra: list[str]) -> str:
    names = options.names
    fields = ", ".join([*extra, *(describe_field(f) for f in options.fields)]) or "no fields"
    flags = "; soft delete" if options.soft_delete else ""
    return f"- **{names.class_name}** at `{names.prefix}`: {fields}{flags}"


def register_entity_in_readme(
    text: str, options: EntityOptions, *, adding_fields: bool = False
) -> str:
    """Return ``text`` with the entity's line written (or extended with new fields)."""
    lines = text.splitlines()
    try:
        start = lines.index(HEADING)
    except ValueError:
        return text
    end = start + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    marker = f"- **{options.names.class_name}** at "
    existing = next((i for i in range(start, end) if lines[i].startswith(marker)), None)
    if existing is not None:
        if adding_fields:
            head, _, rest = lines[existing].partition(": ")
            described, _, flags = rest.partition("; ")
            known = [] if described == "no fields" else [described]
            added = ", ".join([*known, *(describe_field(f) for f in options.fields)])
            lines[existing] = f"{head}: {added}" + (f"; {flags}" if flags else "")
        else:
            lines[existing] = _line(options, [])
        return "\n".join(lines) + "\n"
    entries = [i for i in range(start, end) if lines[i].startswith("- ")]
    for index in reversed(entries):
        if lines[index].startswith(PLACEHOLDER):
            del lines[index]
            end -= 1
    entries = [i for i in range(start, end) if lines[i].startswith("- ")]
    lines.insert(entries[-1] + 1 if entries else start + 2, _line(options, []))
    return "\n".join(lines) + "\n"
