"""The field-dependent lines of an entity's modules, for the entity templates.

The templates hold each module's shape; this module turns the parsed fields
into the lines that vary (columns, DTO fields, migration columns, sample
values) and wraps them the way a person running ``ruff format`` would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastmvc_cli.fields import FieldSpec
from fastmvc_cli.imports import LINE_LENGTH, import_block
from fastmvc_cli.naming import EntityNames

__all__ = ["EntityCode", "build_entity_code", "call"]


def call(head: str, args: Sequence[str], *, indent: str = "", tail: str = "") -> str:
    """``head(arg, …)tail``, split over lines when it passes the line length."""
    line = f"{indent}{head}({', '.join(args)}){tail}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = f"{indent}    {', '.join(args)}"
    if len(inner) <= LINE_LENGTH:
        return f"{indent}{head}(\n{inner}\n{indent}){tail}"
    body = "".join(f"{indent}    {arg},\n" for arg in args)
    return f"{indent}{head}(\n{body}{indent}){tail}"


@dataclass(frozen=True)
class EntityCode:
    """Rendered snippets, one attribute per template slot."""

    model_imports: str
    model_type_checking: str
    model_body: str
    request_imports: str
    create_body: str
    update_body: str
    response_imports: str
    out_body: str
    migration_columns: str
    migration_postgresql: bool
    migration_constraints: str
    migration_indexes: str
    migration_drop_indexes: str
    controller_imports: str
    factory_imports: str
    factory_counter: bool
    test_imports: str
    factory_payload: str
    update_field: str
    filter_field: str


def _model_lines(field: FieldSpec) -> list[str]:
    args = [field.type.column]
    if field.is_reference:
        args.append(f'ForeignKey("{field.target.table}.id")')
    if field.unique:
        args.append("unique=True")
    if field.index or field.is_reference:
        args.append("index=True")
    head = f"{field.column}: Mapped[{field.annotation}] = mapped_column"
    lines = [call(head, args, indent="    ")]
    if field.is_reference:
        target = field.target.class_name + (" | None" if field.nullable else "")
        lines.append(f'    {field.name}: Mapped["{target}"] = relationship(lazy="raise")')
    return lines


def _dto_line(field: FieldSpec, *, optional: bool) -> str:
    """One request-DTO field, typed from the framework's type map (``fastmvc.fields``).

    In an update every field may be left out. A nullable column's field takes
    ``null``; a ``NOT NULL`` column's field does not (``omitted()``).
    """
    dto = field.type.dto
    if field.nullable:
        return f"    {field.column}: {dto} | None = None"
    if optional:
        return f"    {field.column}: {dto} = omitted()"
    return f"    {field.column}: {dto}"


def _migration_column(field: FieldSpec) -> str:
    args = [f'"{field.column}"', field.type.migration, f"nullable={field.nullable}"]
    return call("sa.Column", args, indent="        ", tail=",")


def _migration_constraints(
    names: EntityNames, fields: Sequence[FieldSpec], *, owned: bool
) -> list[str]:
    table = names.table
    lines = [f'        sa.PrimaryKeyConstraint("id", name=op.f("pk_{table}")),']
    if owned:
        name = f'name=op.f("fk_{table}_owner_id_users")'
        args = ['["owner_id"]', '["users.id"]', name]
        lines.append(call("sa.ForeignKeyConstraint", args, indent="        ", tail=","))
    for field in fields:
        if field.is_reference:
            target = field.target.table
            name = f'name=op.f("fk_{table}_{field.column}_{target}")'
            args = [f'["{field.column}"]', f'["{target}.id"]', name]
            lines.append(call("sa.ForeignKeyConstraint", args, indent="        ", tail=","))
    lines.append(f'        sa.UniqueConstraint("urn", name=op.f("uq_{table}_urn")),')
    for field in fields:
        if field.unique and not (field.index or field.is_reference):
            name = f'name=op.f("uq_{table}_{field.column}")'
            lines.append(
                call(
                    "sa.UniqueConstraint", [f'"{field.column}"', name], indent="        ", tail=","
                )
            )
    return lines


_VARIED = frozenset({"str", "text", "int", "bigint", "float", "decimal"})
_COUNTED = _VARIED | {"json"}


def _sample(field: FieldSpec) -> str:
    """A Python expression for a valid, unique-enough value (``n`` is a counter)."""
    return {
        "str": f'f"{field.name}-{{n}}"',
        "text": f'f"Some {field.name.replace("_", " ")} {{n}}"',
        "int": "n",
        "bigint": "n",
        "float": "n + 0.5",
        "decimal": 'f"{n}.99"',
        "bool": "True",
        "date": "date(2024, 1, 1).isoformat()",
        "datetime": '"2024-01-01T12:00:00Z"',
        "uuid": "str(uuid4())",
        "json": '{"n": n}',
        "references": f'(await create_{field.target.module}(client, headers))["id"]',
    }[field.type.name]


def _uses_counter(fields: Sequence[FieldSpec]) -> bool:
    """Whether a sample value reads the counter ``n``."""
    return any(f.type.name in _COUNTED for f in fields)


def _factory_imports(fields: Sequence[FieldSpec], package: str) -> str:
    pairs = [("typing", "Any"), ("httpx", "AsyncClient")]
    if _uses_counter(fields):
        pairs.append(("itertools", "count"))
    for field in fields:
        if field.type.name == "date":
            pairs.append(("datetime", "date"))
        elif field.type.name == "uuid":
            pairs.append(("uuid", "uuid4"))
        elif field.is_reference:
            module = field.target.module
            pairs.append((f"tests.factories.{module}", f"create_{module}"))
    return import_block(pairs, first_party=(package, "tests"))


_OWNER_COLUMN = call(
    "sa.Column",
    ['"owner_id"', 'sa.BigInteger().with_variant(sa.Integer(), "sqlite")', "nullable=False"],
    indent="        ",
    tail=",",
)


def build_entity_code(
    names: EntityNames,
    fields: Sequence[FieldSpec],
    *,
    package: str,
    soft_delete: bool,
    owned: bool = False,
) -> EntityCode:
    """Render every field-dependent snippet of one entity (``owned``: it has an ``owner_id``)."""
    model_pairs = [("fastmvc.db", "Entity")]
    if owned:
        model_pairs.append(("fastmvc.db", "OwnedMixin"))
    if fields:
        model_pairs += [("sqlalchemy.orm", "Mapped"), ("sqlalchemy.orm", "mapped_column")]
    request_pairs = [("fastmvc.dto", "DTO")]
    response_pairs = [("fastmvc.dto", "OutDTO"), ("datetime", "datetime")]
    checking = []
    if soft_delete:
        model_pairs.append(("fastmvc.db", "SoftDeleteMixin"))
    request_pairs.append(("fastmvc.fields", "Version"))
    request_pairs.append(("fastmvc.fields", "omitted"))
    for field in fields:
        assert field.type.column_import is not None
        model_pairs.append(field.type.column_import)
        if field.type.python_import:
            model_pairs.append(field.type.python_import)
            response_pairs.append(field.type.python_import)
        request_pairs.append(("fastmvc.fields", field.type.dto))
        if field.is_reference:
            model_pairs += [("sqlalchemy", "ForeignKey"), ("sqlalchemy.orm", "relationship")]
            target = field.target
            if target.module != names.module:
                model_pairs.append(("typing", "TYPE_CHECKING"))
                checking.append((f"{package}.models.{target.module}", target.class_name))
    checking_block = ""
    if checking:
        checking_block = "\n".join(
            "    " + line
            for line in import_block(checking, first_party=(package, "tests")).splitlines()
        )
    # Fields whose sample differs on every call, so an update really changes the row.
    varied = [f for f in fields if f.type.name in _VARIED]
    update_field = varied[0] if varied else None
    filterable = next((f for f in varied if f.type.name in {"str", "text", "int", "bigint"}), None)
    index_lines: list[str] = []
    drop_lines: list[str] = []
    if owned:
        index = f'op.f("ix_{names.table}_owner_id")'
        index_lines.append(
            call(
                "op.create_index",
                [index, f'"{names.table}"', '["owner_id"]', "unique=False"],
                indent="    ",
            )
        )
        drop_lines.append(
            call("op.drop_index", [index, f'table_name="{names.table}"'], indent="    ")
        )
    for field in fields:
        if field.index or field.is_reference:
            index = f'op.f("ix_{names.table}_{field.column}")'
            index_lines.append(
                call(
                    "op.create_index",
                    [index, f'"{names.table}"', f'["{field.column}"]', f"unique={field.unique}"],
                    indent="    ",
                )
            )
            drop_lines.insert(
                0, call("op.drop_index", [index, f'table_name="{names.table}"'], indent="    ")
            )
    if soft_delete:
        index = f'op.f("ix_{names.table}_deleted_at")'
        index_lines.append(
            call(
                "op.create_index",
                [index, f'"{names.table}"', '["deleted_at"]', "unique=False"],
                indent="    ",
            )
        )
        drop_lines.insert(
            0, call("op.drop_index", [index, f'table_name="{names.table}"'], indent="    ")
        )
    return EntityCode(
        model_imports=import_block(model_pairs, first_party=(package, "tests")),
        model_type_checking=checking_block,
        model_body="\n".join(line for field in fields for line in _model_lines(field)),
        request_imports=import_block(request_pairs, first_party=(package, "tests")),
        create_body="\n".join(_dto_line(f, optional=False) for f in fields),
        update_body="\n".join(_dto_line(f, optional=True) for f in fields),
        response_imports=import_block(response_pairs, first_party=(package, "tests")),
        out_body="\n".join(
            [f"    {f.column}: {f.annotation}" for f in fields]
            + (["    owner_id: int"] if owned else [])
        ),
        migration_columns="\n".join(
            [_migration_column(f) for f in fields] + ([_OWNER_COLUMN] if owned else [])
        ),
        migration_constraints="\n".join(_migration_constraints(names, fields, owned=owned)),
        migration_postgresql=any(f.type.name == "json" for f in fields),
        migration_indexes="\n".join(index_lines),
        migration_drop_indexes="\n".join(drop_lines),
        controller_imports=import_block(
            [
                ("fastmvc.access", "Policy"),
                ("fastmvc.controller", "CRUDController"),
                (f"{package}.dtos.requests.{names.module}", f"{names.class_name}Create"),
                (f"{package}.dtos.requests.{names.module}", f"{names.class_name}Update"),
                (f"{package}.dtos.responses.{names.module}", f"{names.class_name}Out"),
                (f"{package}.services.{names.module}", f"{names.class_name}Service"),
            ],
            first_party=(package, "tests"),
        ),
        factory_imports=_factory_imports(fields, package),
        factory_counter=_uses_counter(fields),
        test_imports=import_block(
            [
                ("pytest", ""),
                ("httpx", "AsyncClient"),
                (f"tests.factories.{names.module}", f"create_{names.module}"),
                (f"tests.factories.{names.module}", f"{names.module}_payload"),
            ],
            first_party=(package, "tests"),
        ),
        factory_payload="\n".join(f'        "{f.column}": {_sample(f)},' for f in fields),
        update_field=update_field.column if update_field else "",
        filter_field=filterable.column if filterable else "",
    )
