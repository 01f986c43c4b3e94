"""The field-dependent lines of an entity's modules, for the templates and for ``add field``.

The templates hold each module's shape; this module turns the parsed fields
into the lines that vary (columns, relationships, DTO fields, migration
operations, sample values) and wraps them the way ``ruff format`` would.
``add field`` inserts the same lines into existing modules, so both commands
write the same code for the same field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastmvc_cli.fields import SA, FieldSpec
from fastmvc_cli.imports import LINE_LENGTH, Import, import_block
from fastmvc_cli.naming import EntityNames
from fastmvc_cli.options import EntityOptions

__all__ = [
    "EntityCode",
    "build_entity_code",
    "call",
    "live_unique_sql",
]

# The predicate of fastmvc.db.live_unique_index, as migrations spell it.
live_unique_sql = 'sa.text("deleted_at IS NULL")'
DT_IMPORT: Import = ("datetime as dt", "")


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


def association_name(owner: EntityNames, field: FieldSpec) -> str:
    """The association table of a many field: ``post_tags`` for ``Post.tags``."""
    return f"{owner.module}_{field.name}"


def association_columns(owner: EntityNames, field: FieldSpec) -> tuple[str, str]:
    """The association table's columns: ``post_id`` and ``tag_id``."""
    return f"{owner.module}_id", field.column.removesuffix("s")


def _is_self(owner: EntityNames, field: FieldSpec) -> bool:
    return field.target.class_name == owner.class_name


def _live_unique(options: EntityOptions, field: FieldSpec) -> bool:
    """A unique column of a soft-delete entity: unique among live rows only."""
    return options.soft_delete and field.unique and not field.is_many


# -- the model -----------------------------------------------------------------


def model_field_lines(options: EntityOptions, field: FieldSpec) -> list[str]:
    """The class-body lines of one field."""
    owner = options.names
    if field.is_many:
        table = association_name(owner, field)
        target = field.target.class_name
        head = f'{field.name}: Mapped[list["{target}"]] = relationship'
        return [call(head, [f"secondary={table}", 'lazy="raise"'], indent="    ")]
    args = [field.type.column]
    if field.is_reference:
        args.append(f'sa.ForeignKey("{field.target.table}.id")')
    if field.unique and not _live_unique(options, field):
        args.append("unique=True")
    if field.index or field.is_reference:
        args.append("index=True")
    if field.server_default is not None:
        args.append(f"server_default={field.server_default}")
    head = f"{field.column}: Mapped[{field.annotation}] = mapped_column"
    lines = [call(head, args, indent="    ")]
    if field.is_reference:
        target = field.target.class_name + (" | None" if field.column_nullable else "")
        rel_args = [f"foreign_keys=[{field.column}]"]
        if _is_self(owner, field):
            rel_args.append(f'remote_side="{owner.class_name}.id"')
        rel_args.append('lazy="raise"')
        lines.append(
            call(f'{field.name}: Mapped["{target}"] = relationship', rel_args, indent="    ")
        )
    return lines


def association_table(options: EntityOptions, field: FieldSpec) -> str:
    """The module-level ``sa.Table`` of a many field."""
    owner = options.names
    table = association_name(owner, field)
    owner_column, target_column = association_columns(owner, field)
    columns = [
        call(
            "sa.Column",
            [f'"{owner_column}"', "sa.BigInteger",
             f'sa.ForeignKey("{owner.table}.id", ondelete="CASCADE")', "primary_key=True"],
            indent="    ",
            tail=",",
        ),
        call(
            "sa.Column",
            [f'"{target_column}"', "sa.BigInteger",
             f'sa.ForeignKey("{field.target.table}.id", ondelete="CASCADE")', "primary_key=True",
             "index=True"],
            indent="    ",
            tail=",",
        ),
    ]  # fmt: skip
    body = "\n".join(columns)
    return f'{table} = sa.Table(\n    "{table}",\n    Base.metadata,\n{body}\n)'


def model_after_lines(options: EntityOptions, field: FieldSpec) -> list[str]:
    """Module-level lines after the class (the live-only unique index)."""
    if _live_unique(options, field):
        return [f"live_unique_index({options.names.class_name}.{field.column})"]
    return []


def model_imports(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[Import]:
    """What the model module imports for ``fields`` (the base classes included)."""
    pairs: list[Import] = [("fastmvc.db", "Entity")]
    if options.owned:
        pairs.append(("fastmvc.db", "OwnedMixin"))
    if options.soft_delete:
        pairs.append(("fastmvc.db", "SoftDeleteMixin"))
    if fields:
        pairs += [("sqlalchemy.orm", "Mapped")]
    for field in fields:
        if field.is_many:
            pairs += [SA, ("fastmvc.db", "Base"), ("sqlalchemy.orm", "relationship")]
            continue
        pairs += [*field.type.imports, ("sqlalchemy.orm", "mapped_column")]
        if field.is_reference:
            pairs += [SA, ("sqlalchemy.orm", "relationship")]
        if field.server_default is not None and field.server_default.startswith("sa."):
            pairs.append(SA)
        if _live_unique(options, field):
            pairs.append(("fastmvc.db", "live_unique_index"))
    if any(f.is_relation and not _is_self(options.names, f) for f in fields):
        pairs.append(("typing", "TYPE_CHECKING"))
    return pairs


def model_type_checking(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[Import]:
    """The imports under ``if TYPE_CHECKING:`` (the related models)."""
    return [
        (f"{options.package}.models.{f.target.module}", f.target.class_name)
        for f in fields
        if f.is_relation and not _is_self(options.names, f)
    ]


# -- the DTOs --------------------------------------------------------------------


def create_line(field: FieldSpec) -> str:
    """The field in the create body, typed from the framework's type map (``fastmvc.fields``)."""
    if field.is_many:
        return f"    {field.column}: list[Int64] = Field(default_factory=list, max_length=1000)"
    if field.nullable:
        return f"    {field.column}: {field.type.dto} | None = None"
    return f"    {field.column}: {field.type.dto}"


def update_line(field: FieldSpec) -> str:
    """The field in the update body: only what is sent changes.

    A nullable column's field takes ``null``; a ``NOT NULL`` column's field
    may be left out but not set to ``null`` (``omitted()``). A many-to-many
    set sent as ``null`` stays as it is.
    """
    if field.is_many:
        return f"    {field.column}: list[Int64] | None = Field(default=None, max_length=1000)"
    if field.nullable:
        return f"    {field.column}: {field.type.dto} | None = None"
    return f"    {field.column}: {field.type.dto} = omitted()"


def request_imports(fields: Sequence[FieldSpec]) -> list[Import]:
    """What the request DTO module imports for ``fields`` (``Version`` for every update)."""
    pairs: list[Import] = [
        ("fastmvc.dto", "DTO"),
        ("fastmvc.fields", "Version"),
        ("fastmvc.fields", "omitted"),
    ]
    for field in fields:
        pairs.append(("fastmvc.fields", field.type.dto))
        if field.is_many:
            pairs.append(("pydantic", "Field"))
    return pairs


def out_line(field: FieldSpec) -> str:
    """The column (or id set) in the output DTO."""
    if field.is_many:
        # Unset, and so left out, on rows nested by ?include=, which carry no relations.
        return f"    {field.column}: list[int] = Field(default_factory=list)"
    return f"    {field.column}: {field.annotation}"


def include_line(options: EntityOptions, field: FieldSpec) -> str:
    """The nested row(s) that ``?include=<name>`` adds to the output DTO."""
    out = "UserOut" if field.target.class_name == "User" else f"{field.target.class_name}Out"
    if field.is_many:
        return f"    {field.name}: list[{out}] | None = None"
    if _is_self(options.names, field):
        return f'    {field.name}: "{out} | None" = None'
    return f"    {field.name}: {out} | None = None"


def response_imports(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[Import]:
    """What the output DTO module imports for ``fields``."""
    pairs: list[Import] = [("fastmvc.dto", "OutDTO"), DT_IMPORT]
    for field in fields:
        pairs += [pair for pair in field.type.imports if pair != SA and pair[0] != "fastmvc.db"]
        if field.is_many:
            pairs.append(("pydantic", "Field"))
        if field.is_relation and not _is_self(options.names, field):
            target = field.target
            if target.class_name == "User":
                pairs.append(("fastmvc.auth", "UserOut"))
            else:
                module = f"{options.package}.dtos.responses.{target.module}"
                pairs.append((module, f"{target.class_name}Out"))
    return pairs


# -- the migration -----------------------------------------------------------------


def migration_column(field: FieldSpec, *, indent: str = "        ", tail: str = ",") -> str:
    """``sa.Column(...)`` of one field, as the migration writes it."""
    args = [f'"{field.column}"', field.type.migration, f"nullable={field.column_nullable}"]
    if field.server_default is not None:
        args.append(f"server_default={field.server_default}")
    return call("sa.Column", args, indent=indent, tail=tail)


def needs_postgresql(fields: Sequence[FieldSpec]) -> bool:
    """Whether a migration of ``fields`` names ``postgresql.`` types (JSONB for ``json``)."""
    return any("postgresql." in f.type.migration for f in fields)


def foreign_key_name(table: str, column: str, target: str) -> str:
    """The naming convention's name of a foreign key."""
    return f'op.f("fk_{table}_{column}_{target}")'


def index_ops(
    options: EntityOptions, field: FieldSpec, *, batch: bool = False
) -> tuple[list[str], list[str]]:
    """The create and drop lines of a field's index (none for most fields)."""
    table = options.names.table
    if not (field.index or field.is_reference or _live_unique(options, field)):
        return [], []
    unique = field.unique
    name = f'op.f("ix_{table}_{field.column}")'
    extra = []
    if _live_unique(options, field):
        extra = [f"postgresql_where={live_unique_sql}", f"sqlite_where={live_unique_sql}"]
    if batch:
        create = call(
            "batch_op.create_index",
            [name, f'["{field.column}"]', f"unique={unique}", *extra],
            indent="        ",
        )
        drop = call("batch_op.drop_index", [name], indent="        ")
    else:
        create = call(
            "op.create_index",
            [name, f'"{table}"', f'["{field.column}"]', f"unique={unique}", *extra],
            indent="    ",
        )
        drop = call("op.drop_index", [name, f'table_name="{table}"'], indent="    ")
    return [create], [drop]


def association_ops(options: EntityOptions, field: FieldSpec) -> tuple[str, list[str]]:
    """Create and drop the association table of a many field."""
    owner = options.names
    table = association_name(owner, field)
    owner_column, target_column = association_columns(owner, field)
    target = field.target.table
    lines = [
        f'        sa.Column("{owner_column}", sa.BigInteger(), nullable=False),',
        f'        sa.Column("{target_column}", sa.BigInteger(), nullable=False),',
    ]
    for column, referred in ((owner_column, owner.table), (target_column, target)):
        args = [f'["{column}"]', f'["{referred}.id"]', foreign_key_name(table, column, referred),
                'ondelete="CASCADE"']  # fmt: skip
        lines.append(call("sa.ForeignKeyConstraint", args, indent="        ", tail=","))
    pk_args = [f'"{owner_column}"', f'"{target_column}"', f'name=op.f("pk_{table}")']
    lines.append(call("sa.PrimaryKeyConstraint", pk_args, indent="        ", tail=","))
    index = f'op.f("ix_{table}_{target_column}")'
    create = (
        f'    op.create_table(\n        "{table}",\n' + "\n".join(lines) + "\n    )\n"
        + call("op.create_index", [index, f'"{table}"', f'["{target_column}"]', "unique=False"],
               indent="    ")
    )  # fmt: skip
    drop = [
        call("op.drop_index", [index, f'table_name="{table}"'], indent="    "),
        f'    op.drop_table("{table}")',
    ]
    return create, drop


def _create_constraints(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[str]:
    table = options.names.table
    lines = [f'        sa.PrimaryKeyConstraint("id", name=op.f("pk_{table}")),']
    if options.owned:
        args = ['["owner_id"]', '["users.id"]', foreign_key_name(table, "owner_id", "users")]
        lines.append(call("sa.ForeignKeyConstraint", args, indent="        ", tail=","))
    for field in fields:
        if field.is_reference and not _is_self(options.names, field):
            target = field.target.table
            name = foreign_key_name(table, field.column, target)
            args = [f'["{field.column}"]', f'["{target}.id"]', name]
            lines.append(call("sa.ForeignKeyConstraint", args, indent="        ", tail=","))
    lines.append(f'        sa.UniqueConstraint("urn", name=op.f("uq_{table}_urn")),')
    for field in fields:
        if field.unique and not (field.index or field.is_reference or _live_unique(options, field)):
            name = f'name=op.f("uq_{table}_{field.column}")'
            lines.append(
                call(
                    "sa.UniqueConstraint", [f'"{field.column}"', name], indent="        ", tail=","
                )
            )
    return lines


_OWNER_COLUMN = call(
    "sa.Column",
    ['"owner_id"', 'sa.BigInteger().with_variant(sa.Integer(), "sqlite")', "nullable=False"],
    indent="        ",
    tail=",",
)


def _self_foreign_keys(options: EntityOptions, fields: Sequence[FieldSpec]) -> str:
    """Self-references: the table must exist before its foreign key can point at it."""
    table = options.names.table
    lines = [
        call(
            "batch_op.create_foreign_key",
            [foreign_key_name(table, f.column, table), f'"{table}"', f'["{f.column}"]', '["id"]'],
            indent="        ",
        )
        for f in fields
        if f.is_reference and _is_self(options.names, f)
    ]
    if not lines:
        return ""
    return f'    with op.batch_alter_table("{table}") as batch_op:\n' + "\n".join(lines)


# -- factories and tests -------------------------------------------------------------

_VARIED = frozenset({"str", "text", "int", "bigint", "float", "decimal"})
_COUNTED = _VARIED | {"json"}


def sample(options: EntityOptions, field: FieldSpec) -> str:
    """A Python expression for a valid, unique-enough value (``n`` is a counter)."""
    if field.is_reference:
        if _is_self(options.names, field):
            return "None"  # a self-reference would recurse; the tests set it
        return f'(await create_{field.target.module}(client, headers))["id"]'
    if field.is_many:
        return f'[(await create_{field.target.module}(client, headers))["id"]]'
    return {
        "str": f'f"{field.name}-{{n}}"',
        "text": f'f"Some {field.name.replace("_", " ")} {{n}}"',
        "int": "n",
        "bigint": "n",
        "float": "n + 0.5",
        "decimal": 'f"{n}.99"',
        "bool": "True",
        "date": '"2024-01-01"',
        "datetime": '"2024-01-01T12:00:00Z"',
        "uuid": "str(uuid4())",
        "json": '{"n": n}',
    }[field.type.name]


def uses_counter(fields: Sequence[FieldSpec]) -> bool:
    """Whether a sample value reads the counter ``n``."""
    return any(f.type.name in _COUNTED for f in fields)


def factory_imports(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[Import]:
    """What the factory module imports for ``fields``."""
    pairs: list[Import] = [("typing", "Any"), ("httpx", "AsyncClient")]
    if uses_counter(fields):
        pairs.append(("itertools", "count"))
    for field in fields:
        if field.type.name == "uuid":
            pairs.append(("uuid", "uuid4"))
        elif field.is_relation and not _is_self(options.names, field):
            module = field.target.module
            pairs.append((f"tests.factories.{module}", f"create_{module}"))
    return pairs


def payload_line(options: EntityOptions, field: FieldSpec) -> str:
    """One entry of the factory's payload dict."""
    return f'        "{field.column}": {sample(options, field)},'


@dataclass(frozen=True)
class FieldTest:
    """What the test template needs to know about one field."""

    name: str
    column: str
    kind: str
    unique: bool
    self_reference: bool
    target_module: str
    target_prefix: str
    target_deletable: bool


def field_tests(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[FieldTest]:
    """The fields that get tests of their own: relations and unique columns."""
    tests = []
    for field in fields:
        if not (field.is_relation or field.unique):
            continue
        target = options.target(field) if field.is_relation else None
        self_reference = field.is_relation and _is_self(options.names, field)
        tests.append(
            FieldTest(
                name=field.name,
                column=field.column,
                kind=field.type.name if field.is_relation else "column",
                unique=field.unique and not field.nullable,
                self_reference=self_reference,
                target_module=field.target.module if field.is_relation else "",
                target_prefix=field.target.prefix if field.is_relation else "",
                # Deleting a hard-deleted target that a row points at must give 409.
                target_deletable=bool(
                    target and target.has_routes and not target.soft_delete and not self_reference
                ),
            )
        )
    return tests


def test_imports(options: EntityOptions, fields: Sequence[FieldSpec]) -> list[Import]:
    """What the test module imports for ``fields`` (its own factory included)."""
    module = options.names.module
    pairs: list[Import] = [
        ("pytest", ""),
        ("httpx", "AsyncClient"),
        (f"tests.factories.{module}", f"create_{module}"),
        (f"tests.factories.{module}", f"{module}_payload"),
    ]
    for field in fields:
        if field.is_many:
            target = field.target.module
            pairs.append((f"tests.factories.{target}", f"create_{target}"))
    return pairs


# -- everything, for the entity templates -----------------------------------------------


@dataclass(frozen=True)
class EntityCode:
    """Rendered snippets, one attribute per template slot."""

    model_imports: str
    model_type_checking: str
    association_tables: str
    model_body: str
    model_after: str
    request_imports: str
    create_body: str
    update_body: str
    response_imports: str
    out_body: str
    out_includes: str
    migration_columns: str
    migration_postgresql: bool
    migration_constraints: str
    migration_after_create: str
    migration_drops: str
    controller_imports: str
    factory_imports: str
    factory_counter: bool
    test_imports: str
    factory_payload: str
    update_field: str
    filter_field: str
    field_tests: list[FieldTest]


def _block(pairs: Sequence[Import], options: EntityOptions) -> str:
    return import_block(pairs, first_party=options.first_party)


def type_checking_block(pairs: Sequence[Import], options: EntityOptions) -> str:
    """The indented imports under ``if TYPE_CHECKING:``."""
    return "\n".join("    " + line for line in _block(pairs, options).splitlines())


def build_entity_code(options: EntityOptions) -> EntityCode:
    """Render every field-dependent snippet of one new entity."""
    names, fields = options.names, list(options.fields)
    columns = [f for f in fields if not f.is_many]
    many = [f for f in fields if f.is_many]
    relations = [f for f in fields if f.is_relation]
    # Fields whose sample differs on every call, so an update really changes the row.
    varied = [f for f in fields if f.type.name in _VARIED]
    update_field = varied[0] if varied else None
    filterable = next((f for f in varied if f.type.name in {"str", "text", "int", "bigint"}), None)
    after_create: list[str] = []
    drops: list[str] = []
    self_keys = _self_foreign_keys(options, fields)
    if self_keys:
        after_create.append(self_keys)
    if options.owned:
        index = f'op.f("ix_{names.table}_owner_id")'
        after_create.append(
            call(
                "op.create_index",
                [index, f'"{names.table}"', '["owner_id"]', "unique=False"],
                indent="    ",
            )
        )
        drops.insert(
            0, call("op.drop_index", [index, f'table_name="{names.table}"'], indent="    ")
        )
    for field in columns:
        create, drop = index_ops(options, field)
        after_create += create
        drops[:0] = drop
    if options.soft_delete:
        index = f'op.f("ix_{names.table}_deleted_at")'
        after_create.append(
            call(
                "op.create_index",
                [index, f'"{names.table}"', '["deleted_at"]', "unique=False"],
                indent="    ",
            )
        )
        drops.insert(
            0, call("op.drop_index", [index, f'table_name="{names.table}"'], indent="    ")
        )
    for field in many:
        create_table, drop_table = association_ops(options, field)
        after_create.append(create_table)
        drops[:0] = drop_table
    out_includes = "\n".join(include_line(options, f) for f in relations)
    if out_includes:
        out_includes = "    # Set only when asked for with ?include=…\n" + out_includes
    return EntityCode(
        model_imports=_block(model_imports(options, fields), options),
        model_type_checking=type_checking_block(model_type_checking(options, fields), options),
        association_tables="\n\n\n".join(association_table(options, f) for f in many),
        model_body="\n".join(line for f in fields for line in model_field_lines(options, f)),
        model_after="\n".join(line for f in fields for line in model_after_lines(options, f)),
        request_imports=_block(request_imports(fields), options),
        create_body="\n".join(create_line(f) for f in fields),
        update_body="\n".join(update_line(f) for f in fields),
        response_imports=_block(response_imports(options, fields), options),
        out_body="\n".join(
            [out_line(f) for f in fields] + (["    owner_id: int"] if options.owned else [])
        ),
        out_includes=out_includes,
        migration_columns="\n".join(
            [migration_column(f) for f in columns] + ([_OWNER_COLUMN] if options.owned else [])
        ),
        migration_postgresql=needs_postgresql(columns),
        migration_constraints="\n".join(_create_constraints(options, columns)),
        migration_after_create="\n".join(after_create),
        migration_drops="\n".join(drops),
        controller_imports=_block(
            [
                ("fastmvc.access", "Policy"),
                ("fastmvc.controller", "CRUDController"),
                (f"{options.package}.dtos.requests.{names.module}", f"{names.class_name}Create"),
                (f"{options.package}.dtos.requests.{names.module}", f"{names.class_name}Update"),
                (f"{options.package}.dtos.responses.{names.module}", f"{names.class_name}Out"),
                (f"{options.package}.services.{names.module}", f"{names.class_name}Service"),
            ],
            options,
        ),
        factory_imports=_block(factory_imports(options, fields), options),
        factory_counter=uses_counter(fields),
        test_imports=_block(test_imports(options, fields), options),
        factory_payload="\n".join(payload_line(options, f) for f in fields),
        update_field=update_field.column if update_field else "",
        filter_field=filterable.column if filterable else "",
        field_tests=field_tests(options, fields),
    )


def test_def(name: str) -> str:
    """The ``async def`` line of a generated test, wrapped as ``ruff format`` would."""
    line = f"async def {name}(client: AsyncClient, headers: dict[str, str]) -> None:"
    if len(line) <= LINE_LENGTH:
        return line
    return f"async def {name}(\n    client: AsyncClient, headers: dict[str, str]\n) -> None:"


def field_tests_code(options: EntityOptions, tests: Sequence[FieldTest]) -> str:
    """The per-field test functions (relations, unique columns), as module text."""
    from fastmvc_cli.render import render_partial
    from fastmvc_cli.resources import partial_template

    if not tests:
        return ""
    context = {
        "names": options.names,
        "soft_delete": options.soft_delete,
        "field_tests": tests,
        "test_def": test_def,
    }
    return render_partial(partial_template("field_tests.py.jinja"), context)
