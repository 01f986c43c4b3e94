"""``fastmvc add field ENTITY FIELD:TYPE…``: new fields in every module of an existing entity.

The model, the DTOs, the factory and the tests get the same lines that
``add entity`` writes for such a field, inserted where they belong (see
:mod:`fastmvc_cli.source_edit`). The migration is a new revision after the
head, safe for a table that already has rows:

- a nullable field is added as a nullable column;
- ``--default VALUE`` adds a required column with that server default, which
  fills the existing rows;
- any other required field is added as a nullable column (existing rows keep
  NULL) while the create body still requires it, and the command says so.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from fastmvc_cli import entity_code as code
from fastmvc_cli.errors import UserError
from fastmvc_cli.fields import FieldSpec, check_clashes, parse_fields
from fastmvc_cli.imports import LINE_LENGTH
from fastmvc_cli.naming import entity_names
from fastmvc_cli.options import EntityOptions
from fastmvc_cli.project import Project
from fastmvc_cli.readme import register_entity_in_readme
from fastmvc_cli.render import Plan, render_tree
from fastmvc_cli.resources import field_templates
from fastmvc_cli.revisions import current_head, new_revision_id
from fastmvc_cli.source_edit import ModuleEdit

__all__ = ["build_field_plan", "field_options", "server_default_source"]

_MANAGED = ("id", "urn", "created_at", "updated_at", "version", "deleted_at")


def server_default_source(field: FieldSpec, value: str) -> str:
    """The ``server_default=`` argument, as Python source, for ``--default VALUE``.

    Raises:
        UserError: The value is not one of the field's type.
    """
    kind = field.type.name
    try:
        if kind == "bool":
            lowered = value.lower()
            if lowered not in {"true", "false"}:
                raise ValueError(value)
            return "sa.true()" if lowered == "true" else "sa.false()"
        if kind in {"int", "bigint"}:
            value = str(int(value))
        elif kind in {"float", "decimal"}:
            number = Decimal(value)
            if not number.is_finite():
                raise ValueError(value)
        elif kind == "date":
            date.fromisoformat(value)
        elif kind == "datetime":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError(value)
            value = moment.astimezone(UTC).isoformat()
        elif kind == "uuid":
            value = str(uuid.UUID(value))
        elif kind == "json":
            json.loads(value)
        elif kind in {"references", "many"}:
            raise UserError(f"--default does not apply to {kind} fields")
    except (ValueError, InvalidOperation):
        raise UserError(f"--default {value!r} is not a valid {kind}") from None
    return json.dumps(value)


def field_options(
    project: Project,
    entity: str,
    field_specs: Sequence[str],
    *,
    default: str | None = None,
    tests: bool = True,
    migration: bool = True,
) -> EntityOptions:
    """Check the command line of ``add field`` and collect it in one object.

    Raises:
        UserError: No such entity, a bad or existing field, or a bad ``--default``.
    """
    from fastmvc_cli.commands.add import is_soft_delete_model, resolve_targets

    names = entity_names(entity)
    model_file = project.package_dir / "models" / f"{names.module}.py"
    if not model_file.is_file():
        raise UserError(
            f"there is no {names.class_name} entity ({model_file.relative_to(project.root)}); "
            f"add it with `fastmvc add entity {names.class_name} …`"
        )
    if not field_specs:
        raise UserError("give at least one field, e.g. `fastmvc add field Post slug:str:unique`")
    fields = list(parse_fields(field_specs))
    model = ModuleEdit(model_file, (project.package, "tests"))
    existing = set(model.attributes(model.class_node(names.class_name))) | set(_MANAGED)
    check_clashes(fields, existing)
    if default is not None and len(fields) != 1:
        raise UserError("--default applies to one field; add the fields one at a time")
    soft_delete = is_soft_delete_model(model_file)
    adjusted = []
    for field in fields:
        if default is not None:
            field = dataclasses.replace(field, server_default=server_default_source(field, default))
        elif not field.nullable and not field.is_many:
            # Existing rows have no value to give it: NULL for them, required in the body.
            field = dataclasses.replace(field, null_for_existing_rows=True)
        adjusted.append(field)
    targets = resolve_targets(project, names, adjusted, soft_delete=soft_delete)
    return EntityOptions(
        names=names,
        package=project.package,
        fields=tuple(adjusted),
        soft_delete=soft_delete,
        tests=tests,
        migration=migration,
        default=default,
        targets=targets,
    )


def _edit_model(project: Project, options: EntityOptions) -> ModuleEdit:
    names, fields = options.names, list(options.fields)
    edit = ModuleEdit(project.package_dir / "models" / f"{names.module}.py", options.first_party)
    edit.merge_imports(code.model_imports(options, fields))
    edit.merge_type_checking(code.model_type_checking(options, fields))
    cls = edit.class_node(names.class_name)
    for field in fields:
        if field.is_many:
            edit.insert_before(cls, code.association_table(options, field))
    lines = [line for field in fields for line in code.model_field_lines(options, field)]
    edit.append_to_class(names.class_name, lines)
    after = [line for field in fields for line in code.model_after_lines(options, field)]
    edit.append_module("\n".join(after))
    return edit


def _edit_dtos(project: Project, options: EntityOptions) -> list[ModuleEdit]:
    names, fields = options.names, list(options.fields)
    dtos = project.package_dir / "dtos"
    request = ModuleEdit(dtos / "requests" / f"{names.module}.py", options.first_party)
    request.merge_imports(code.request_imports(fields))
    request.append_to_class(f"{names.class_name}Create", [code.create_line(f) for f in fields])
    request.append_to_class(
        f"{names.class_name}Update", [code.update_line(f) for f in fields], before="version"
    )
    response = ModuleEdit(dtos / "responses" / f"{names.module}.py", options.first_party)
    response.merge_imports(code.response_imports(options, fields))
    out = f"{names.class_name}Out"
    response.append_to_class(out, [code.out_line(f) for f in fields], before="created_at")
    includes = [code.include_line(options, f) for f in fields if f.is_relation]
    if includes and "?include=" not in response.text:
        includes.insert(0, "    # Set only when asked for with ?include=…")
    response.append_to_class(out, includes)
    return [request, response]


def _edit_tests(project: Project, options: EntityOptions) -> list[ModuleEdit]:
    names, fields = options.names, list(options.fields)
    tests = project.root / "tests"
    factory = ModuleEdit(tests / "factories" / f"{names.module}.py", options.first_party)
    factory.merge_imports(code.factory_imports(options, fields))
    function = factory.function_node(f"{names.module}_payload")
    returned = next((n.value for n in function.body if isinstance(n, ast.Return)), None)
    if not isinstance(returned, ast.Dict) or returned.end_lineno is None:
        raise UserError(f"{factory.path}: the payload is not a `return {{…}}`; edit by hand")
    factory.insert(
        returned.end_lineno, "\n".join(code.payload_line(options, f) for f in fields) + "\n"
    )
    if code.uses_counter(fields) and not factory.has_name("_counter"):
        factory.insert_before(function, "_counter = count(1)")
        docstring = function.body[0]
        assert docstring.end_lineno is not None
        factory.insert(docstring.end_lineno + 1, "    n = next(_counter)\n")
    edits = [factory]
    test_code = code.field_tests_code(options, code.field_tests(options, fields))
    if test_code:
        module = ModuleEdit(tests / f"test_{names.module}.py", options.first_party)
        module.merge_imports(code.test_imports(options, fields))
        module.append_module(test_code)
        edits.append(module)
    return edits


def _migration(project: Project, options: EntityOptions) -> Plan:
    names, fields = options.names, list(options.fields)
    table = names.table
    upgrade: list[str] = []
    downgrade: list[str] = []
    foreign: list[tuple[str, str]] = []
    for field in fields:
        if field.is_many:
            create_table, drop_table = code.association_ops(options, field)
            upgrade.append(create_table)
            downgrade[:0] = drop_table
            continue
        upgrade.append(_add_column(table, field))
        creates, drops = code.index_ops(options, field)
        upgrade += creates
        if field.is_reference:
            target = table if field.target.class_name == names.class_name else field.target.table
            name = code.foreign_key_name(table, field.column, target)
            create = code.call(
                "batch_op.create_foreign_key",
                [name, f'"{target}"', f'["{field.column}"]', '["id"]'],
                indent="        ",
            )
            drop = code.call(
                "batch_op.drop_constraint", [name, 'type_="foreignkey"'], indent="        "
            )
            foreign.append((create, drop))
        downgrade[:0] = [*drops]
    if foreign:
        upgrade.append(f'    with op.batch_alter_table("{table}") as batch_op:')
        upgrade += [create for create, _ in foreign]
    columns = [f for f in fields if not f.is_many]
    if columns:
        # batch: SQLite drops a column with a foreign key only by rebuilding the table.
        downgrade.append(f'    with op.batch_alter_table("{table}") as batch_op:')
        downgrade += [drop for _, drop in foreign]
        downgrade += [f'        batch_op.drop_column("{f.column}")' for f in columns]
    versions = project.migrations_dir / "versions"
    if not versions.is_dir():
        raise UserError(f"{versions} is missing; is this a FastMVC project?")
    described = ", ".join(f.name for f in fields)
    context = {
        "names": names,
        "slug": "_".join(f.name for f in fields)[:48],
        "described": described,
        "revision": new_revision_id(),
        "down_revision": current_head(versions),
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "postgresql": code.needs_postgresql(fields),
        "upgrade": "\n".join(upgrade),
        "downgrade": "\n".join(downgrade),
    }
    return render_tree(field_templates(), context)


def _add_column(table: str, field: FieldSpec) -> str:
    column = code.migration_column(field, indent="", tail="")
    one_line = f'    op.add_column("{table}", {column})'
    if "\n" not in column and len(one_line) <= LINE_LENGTH:
        return one_line
    inner = f'        "{table}", {column}'
    if "\n" not in column and len(inner) <= LINE_LENGTH:
        return f"    op.add_column(\n{inner}\n    )"
    wrapped = code.migration_column(field, indent="        ", tail=",")
    return f'    op.add_column(\n        "{table}",\n{wrapped}\n    )'


def build_field_plan(project: Project, options: EntityOptions) -> tuple[Plan, list[str]]:
    """Render every edit and the migration of ``add field``, writing nothing.

    Returns:
        The plan (paths relative to the project root) and notes to show.
    """
    edits = [_edit_model(project, options), *_edit_dtos(project, options)]
    notes: list[str] = []
    factory = project.root / "tests" / "factories" / f"{options.names.module}.py"
    if options.tests and factory.is_file():
        from fastmvc_cli.commands.add import missing_factories

        missing = missing_factories(project, options)
        if missing:
            notes.append(f"no tests written: {missing[0]} has no tests/factories module")
        else:
            edits += _edit_tests(project, options)
    elif options.tests:
        notes.append(f"no tests written: {factory.relative_to(project.root)} is missing")
    plan: Plan = {
        PurePosixPath(edit.path.relative_to(project.root).as_posix()): edit.result().encode()
        for edit in edits
    }
    if options.migration:
        plan.update(_migration(project, options))
    for field in options.fields:
        if field.null_for_existing_rows:
            notes.append(
                f"{field.column} is nullable in the database so existing rows survive; "
                "bodies must still send it (use --default VALUE for a NOT NULL column)"
            )
    readme = project.root / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        plan[PurePosixPath("README.md")] = register_entity_in_readme(
            text, options, adding_fields=True
        ).encode()
    return plan, notes
