"""A model's relationships as the HTTP layer sees them: includes and many-to-many id sets.

Two kinds of relationship are understood, read from the SQLAlchemy mapper:

- **one**: a many-to-one reference (``Post.author`` through ``author_id``);
- **many**: a many-to-many through an association table (``Post.tags``
  through ``post_tags``), whose ids travel as ``tag_ids``.

Rows are turned into plain dicts for the output DTOs. Every relation costs at
most one extra query for a whole page, whatever its length: the referenced
rows (``WHERE id IN …``) or the association rows joined to their targets.
The ids of many-to-many relations are always in the output; an ``include``
adds the related rows themselves as nested objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Column, Table, delete, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import RelationshipDirection

from fastmvc.errors import BadRequestError, ValidationFailedError

__all__ = [
    "Relation",
    "attach_relations",
    "changed_links",
    "ids_field_of",
    "parse_include",
    "plain_row",
    "relations_of",
    "replace_links",
]

MAX_INCLUDES = 16


def ids_field_of(name: str) -> str:
    """The body and output key of a many-to-many relation's ids: ``tags`` → ``tag_ids``.

    A ``ids_field`` entry in the relationship's ``info`` wins over this rule.
    """
    if name.endswith("ies"):
        singular = name[:-3] + "y"
    elif name.endswith(("ses", "xes", "zes", "ches", "shes")):
        singular = name[:-2]
    elif name.endswith("s") and not name.endswith("ss"):
        singular = name[:-1]
    else:
        singular = name
    return f"{singular}_ids"


@dataclass(frozen=True)
class Relation:
    """One relationship of a model.

    Attributes:
        name: The relationship's attribute, and the ``include`` name (``author``).
        kind: ``"one"`` (many-to-one) or ``"many"`` (many-to-many).
        target: The related model.
        local_key: For ``one``: the foreign-key attribute (``author_id``).
        ids_field: For ``many``: the key of the id list (``tag_ids``).
        secondary: For ``many``: the association table.
        owner_column: For ``many``: the association column naming this row.
        target_column: For ``many``: the association column naming the related row.
    """

    name: str
    kind: Literal["one", "many"]
    target: type[Any]
    local_key: str | None = None
    ids_field: str | None = None
    secondary: Table | None = None
    owner_column: Column[Any] | None = None
    target_column: Column[Any] | None = None


_RELATIONS: dict[type[Any], Mapping[str, Relation]] = {}


def relations_of(model: type[Any]) -> Mapping[str, Relation]:
    """Every relationship of ``model`` that the HTTP layer can include, by name."""
    known = _RELATIONS.get(model)
    if known is None:
        known = _RELATIONS[model] = _read_relations(model)
    return known


def _read_relations(model: type[Any]) -> Mapping[str, Relation]:
    found: dict[str, Relation] = {}
    for prop in inspect(model).relationships:
        target = prop.mapper.class_
        if prop.direction is RelationshipDirection.MANYTOONE and len(prop.local_columns) == 1:
            (column,) = prop.local_columns
            key = inspect(model).get_property_by_column(column).key
            found[prop.key] = Relation(prop.key, "one", target, local_key=key)
        elif (
            prop.direction is RelationshipDirection.MANYTOMANY
            and isinstance(prop.secondary, Table)
            and len(prop.synchronize_pairs) == 1
            and len(prop.secondary_synchronize_pairs or ()) == 1
        ):
            owner_column = prop.synchronize_pairs[0][1]
            target_column = next(iter(prop.secondary_synchronize_pairs or ()))[1]
            ids_field = prop.info.get("ids_field") or ids_field_of(prop.key)
            found[prop.key] = Relation(
                prop.key,
                "many",
                target,
                ids_field=str(ids_field),
                secondary=prop.secondary,
                owner_column=owner_column,
                target_column=target_column,
            )
    return found


def many_relations(model: type[Any]) -> list[Relation]:
    """The many-to-many relations of ``model``."""
    return [r for r in relations_of(model).values() if r.kind == "many"]


def parse_include(model: type[Any], raw: str | Sequence[str] | None) -> tuple[str, ...]:
    """Read ``?include=author,tags`` into relation names.

    Raises:
        BadRequestError: A name is not a relation of ``model`` (HTTP 400).
    """
    if not raw:
        return ()
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    wanted = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    if len(wanted) > MAX_INCLUDES:
        raise BadRequestError(f"at most {MAX_INCLUDES} includes")
    known = relations_of(model)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise BadRequestError(
            f"Unknown include: {unknown[0][:64]!r} (allowed: {allowed})",
            errors=[{"field": "include", "message": "unknown relation", "type": "value_error"}],
            response_key="error_unknown_include",
        )
    return wanted


def _columns(model: type[Any]) -> list[Any]:
    return [a.class_attribute.label(a.key) for a in inspect(model).column_attrs]


def plain_row(row: Any) -> dict[str, Any]:
    """A row as a dict of column values: from an ORM object, a ``Row`` or a mapping."""
    if isinstance(row, Mapping):
        return dict(row)
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return dict(mapping)
    return {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs}


async def _load_one(session: AsyncSession, relation: Relation, rows: list[dict[str, Any]]) -> None:
    assert relation.local_key is not None
    keys = {row[relation.local_key] for row in rows} - {None}
    found: dict[Any, dict[str, Any]] = {}
    if keys:
        pk = inspect(relation.target).primary_key[0]
        statement = select(*_columns(relation.target)).where(pk.in_(keys))
        result = await (await session.connection()).execute(statement)
        found = {item[pk.key]: dict(item) for item in result.mappings()}
    for row in rows:
        row[relation.name] = found.get(row[relation.local_key])


async def _load_many(
    session: AsyncSession,
    model: type[Any],
    relation: Relation,
    rows: list[dict[str, Any]],
    *,
    included: bool,
) -> None:
    assert relation.owner_column is not None
    assert relation.target_column is not None
    assert relation.ids_field is not None
    pk_name = inspect(model).primary_key[0].key
    owners = [row[pk_name] for row in rows]
    links: dict[Any, list[Any]] = {owner: [] for owner in owners}
    targets: dict[Any, list[dict[str, Any]]] = {owner: [] for owner in owners}
    owner, target = relation.owner_column, relation.target_column
    if included:
        target_pk = inspect(relation.target).primary_key[0]
        statement = (
            select(owner.label("_fastmvc_owner"), *_columns(relation.target))
            .join_from(relation.secondary, relation.target, target == target_pk)  # type: ignore[arg-type]
            .where(owner.in_(owners))
            .order_by(owner, target)
        )
        result = await (await session.connection()).execute(statement)
        for item in result.mappings():
            values = dict(item)
            key = values.pop("_fastmvc_owner")
            links[key].append(values[target_pk.key])
            targets[key].append(values)
    else:
        statement = select(owner, target).where(owner.in_(owners)).order_by(owner, target)
        result = await (await session.connection()).execute(statement)
        for owner_id, target_id in result.all():
            links[owner_id].append(target_id)
    for row in rows:
        row[relation.ids_field] = links[row[pk_name]]
        if included:
            row[relation.name] = targets[row[pk_name]]


async def attach_relations(
    session: AsyncSession, model: type[Any], rows: Iterable[Any], include: Sequence[str] = ()
) -> list[Any]:
    """Turn rows into dicts with many-to-many ids and the included relations.

    A model without relationships gets its rows back unchanged (no copy, no query).

    Args:
        session: The session to read with.
        model: The rows' model.
        rows: ORM objects, ``Row`` objects or mappings of column values.
        include: Relation names (already checked by :func:`parse_include`).

    Returns:
        The rows, in order, ready for an output DTO.
    """
    relations = relations_of(model)
    items = list(rows)
    if not relations:
        return items
    plain = [plain_row(row) for row in items]
    if not plain:
        return plain
    for relation in relations.values():
        wanted = relation.name in include
        if relation.kind == "one" and wanted:
            await _load_one(session, relation, plain)
        elif relation.kind == "many":
            await _load_many(session, model, relation, plain, included=wanted)
    return plain


def split_links(model: type[Any], data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split write values into column values and many-to-many id lists (by ``ids_field``).

    An id list given as ``None`` is left out: the set stays as it is.
    """
    id_fields = {r.ids_field for r in many_relations(model)}
    columns = {k: v for k, v in data.items() if k not in id_fields}
    links = {k: v for k, v in data.items() if k in id_fields and v is not None}
    return columns, links


async def changed_links(
    session: AsyncSession, model: type[Any], owner_id: Any, links: Mapping[str, Any]
) -> dict[str, Any]:
    """The id sets of ``links`` that differ from what row ``owner_id`` has now."""
    by_field = {r.ids_field: r for r in many_relations(model)}
    changed: dict[str, Any] = {}
    for field, raw in links.items():
        relation = by_field[field]
        assert relation.owner_column is not None
        assert relation.target_column is not None
        statement = select(relation.target_column).where(relation.owner_column == owner_id)
        current = set((await session.execute(statement)).scalars().all())
        if current != set(raw or ()):
            changed[field] = raw
    return changed


async def replace_links(
    session: AsyncSession, model: type[Any], owner_id: Any, links: Mapping[str, Any]
) -> None:
    """Make each many-to-many set of row ``owner_id`` exactly the given ids.

    Raises:
        ValidationFailedError: An id names no live row of the target (HTTP 422).
    """
    by_field = {r.ids_field: r for r in many_relations(model)}
    for field, raw in links.items():
        relation = by_field[field]
        assert relation.secondary is not None
        assert relation.owner_column is not None
        assert relation.target_column is not None
        wanted = list(dict.fromkeys(raw or ()))
        if wanted:
            target_pk = inspect(relation.target).primary_key[0]
            live = select(target_pk).where(target_pk.in_(wanted))
            if "deleted_at" in inspect(relation.target).columns:
                live = live.where(inspect(relation.target).columns["deleted_at"].is_(None))
            found = set((await session.execute(live)).scalars().all())
            missing = [value for value in wanted if value not in found]
            if missing:
                shown = ", ".join(str(value) for value in missing[:10])
                raise ValidationFailedError(
                    f"{field}: no {relation.target.__name__} with id {shown}",
                    errors=[{"field": field, "message": f"unknown id(s): {shown}",
                             "type": "value_error"}],
                    response_key="error_unknown_reference",
                )  # fmt: skip
        owner_key = relation.owner_column.key
        target_key = relation.target_column.key
        await session.execute(delete(relation.secondary).where(relation.owner_column == owner_id))
        if wanted:
            await session.execute(
                insert(relation.secondary),
                [{owner_key: owner_id, target_key: value} for value in wanted],
            )
