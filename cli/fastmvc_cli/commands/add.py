"""``fastmvc add entity NAME FIELD:TYPE[:MOD]…``: a CRUD entity in every layer.

Everything is checked and rendered first (names, fields, references, the
migration head, the registry edits); only then is any file written, so a
refused command leaves the project as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from fastmvc_cli.console import console, show_files, show_next_steps
from fastmvc_cli.entity_code import build_entity_code, field_tests_code
from fastmvc_cli.errors import UserError
from fastmvc_cli.fields import FieldSpec, parse_fields
from fastmvc_cli.naming import EntityNames, entity_names
from fastmvc_cli.options import EntityOptions, Target
from fastmvc_cli.project import Project, find_project
from fastmvc_cli.readme import register_entity_in_readme
from fastmvc_cli.registry import register_model, register_router
from fastmvc_cli.render import Plan, render_tree, write_plan
from fastmvc_cli.resources import entity_templates
from fastmvc_cli.revisions import current_head, new_revision_id, read_revisions

__all__ = ["app", "build_entity_plan", "entity_options", "next_steps", "resolve_targets"]

app = typer.Typer(
    help="Add code to the project in the current folder.",
    no_args_is_help=True,
)

_EPILOG = """\
Fields: NAME:TYPE[?][:MOD], NAME:references[?][:Target][:MOD] or NAME:many:Target.
Types: str text int bigint float decimal bool date datetime uuid json references many.
A trailing ? makes a field nullable (note:text?); MOD is unique or index.
category:references adds a category_id foreign key to categories.id;
author:references:User points at users; parent:references?:Category at its own table;
tags:many:Tag adds a post_tags table and tag_ids in the bodies and the output.

Examples:

  fastmvc add entity Category name:str:unique parent:references?:Category

  fastmvc add entity Tag name:str:unique

  fastmvc add entity Post title:str author:references:User tags:many:Tag --soft-delete

  fastmvc add field Post slug:str:unique

  fastmvc add entity Note body:text --owned

  fastmvc add entity Product name:str --public --write admin

Access: --read and --write take public, user, owner or admin (default user).
--public is --read public (writes still need a token); --owned is
--read owner --write owner (rows belong to their creator; admins see all).
"""

POLICIES = ("public", "user", "owner", "admin")


def resolve_access(
    *, public: bool, owned: bool, read: str | None, write: str | None
) -> tuple[str, str]:
    """The read and write policies the flags ask for.

    Raises:
        UserError: An unknown policy, a public write, or shorthands that contradict.
    """
    for flag, value in (("--read", read), ("--write", write)):
        if value is not None and value not in POLICIES:
            raise UserError(f"{flag} {value!r}: choose one of {', '.join(POLICIES)}")
    if public and owned:
        raise UserError("--public and --owned contradict each other; use --read and --write")
    if public and read not in (None, "public"):
        raise UserError(f"--public means --read public, not --read {read}")
    if owned and (read not in (None, "owner") or write not in (None, "owner")):
        raise UserError("--owned means --read owner --write owner; drop --read/--write")
    chosen_read = read or ("public" if public else "owner" if owned else "user")
    chosen_write = write or ("owner" if owned else "user")
    if chosen_write == "public":
        raise UserError("--write public is not allowed: writes always need a token")
    return chosen_read, chosen_write


# The auth module owns the user model; an entity of that name would replace it.
_RESERVED_ENTITIES = frozenset({"user"})


def _relative(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def _model_file(project: Project, names: EntityNames) -> Path:
    return project.package_dir / "models" / f"{names.module}.py"


def is_soft_delete_model(path: Path) -> bool:
    """Whether a generated model file mixes in ``SoftDeleteMixin``."""
    return "SoftDeleteMixin" in path.read_text(encoding="utf-8")


def resolve_targets(
    project: Project, names: EntityNames, fields: Sequence[FieldSpec], *, soft_delete: bool
) -> dict[str, Target]:
    """Check every relation's target and learn what the tests need to know about it.

    Raises:
        UserError: A target does not exist, or a self-reference is not nullable.
    """
    targets: dict[str, Target] = {}
    for field in fields:
        if not field.is_relation:
            continue
        target = field.target
        spec = f"{field.name}:{field.type.name}"
        if target.class_name == names.class_name:
            if field.is_reference and not field.nullable:
                raise UserError(
                    f"field {spec}: a self-reference must be nullable "
                    f"({field.name}:references?:{names.class_name}), or no first row could exist"
                )
            if field.is_many and f"{names.module}_id" == field.column.removesuffix("s"):
                raise UserError(f"field {spec}: name the set after its role, e.g. related:many")
            targets[target.class_name] = Target(target, soft_delete=soft_delete)
            continue
        if target.module in _RESERVED_ENTITIES:
            targets[target.class_name] = Target(target, has_routes=False)
            continue
        model = _model_file(project, target)
        if not model.is_file():
            raise UserError(
                f"field {spec}: there is no {target.class_name} entity; "
                f"add it first with `fastmvc add entity {target.class_name} …`"
            )
        controller = project.package_dir / "controllers" / f"{target.module}.py"
        writes = re.search(r"write_policy = Policy\.(\w+)", _text(controller))
        # The tests delete a target as its creator: only user or owner writes allow that.
        deletable = writes is None or writes.group(1) in {"USER", "OWNER"}
        targets[target.class_name] = Target(
            target, soft_delete=is_soft_delete_model(model), has_routes=deletable
        )
    return targets


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _migration_ids(project: Project, names: EntityNames) -> tuple[str, str | None, Path | None]:
    """The revision, its parent, and the file of an earlier run (with --force)."""
    versions = project.migrations_dir / "versions"
    if not versions.is_dir():
        raise UserError(f"{_relative(project, versions)} is missing; is this a FastMVC project?")
    earlier = sorted(versions.glob(f"*_create_{names.table}_table.py"))
    if earlier:
        # Re-rendering an entity keeps its place in the revision graph.
        graph = read_revisions(versions)
        revision = earlier[0].name.split("_", 1)[0]
        if revision in graph:
            parents = graph[revision]
            return revision, parents[0] if parents else None, earlier[0]
    return new_revision_id(), current_head(versions), None


def missing_factories(project: Project, options: EntityOptions) -> list[str]:
    """Relation targets with no ``tests/factories`` module (projects from older versions)."""
    return [
        f.target.class_name
        for f in options.fields
        if f.is_relation
        and f.target.class_name != options.names.class_name
        and not (project.root / "tests" / "factories" / f"{f.target.module}.py").is_file()
    ]


def entity_options(
    project: Project,
    name: str,
    field_specs: Sequence[str],
    *,
    public: bool = False,
    soft_delete: bool = False,
    tests: bool = True,
    migration: bool = True,
    force: bool = False,
    owned: bool = False,
    read: str | None = None,
    write: str | None = None,
) -> EntityOptions:
    """Check the command line of ``add entity`` and collect it in one object.

    Raises:
        UserError: A bad entity name, a bad field, or a missing target.
    """
    read_policy, write_policy = resolve_access(public=public, owned=owned, read=read, write=write)
    names = entity_names(name)
    if names.module in _RESERVED_ENTITIES:
        raise UserError(f"entity name {name!r} is reserved: the auth module owns the User model")
    fields = tuple(parse_fields(field_specs))
    targets = resolve_targets(project, names, fields, soft_delete=soft_delete)
    return EntityOptions(
        read_policy=read_policy,
        write_policy=write_policy,
        names=names,
        package=project.package,
        fields=fields,
        public=public,
        soft_delete=soft_delete,
        tests=tests,
        migration=migration,
        force=force,
        targets=targets,
    )


def build_entity_plan(project: Project, options: EntityOptions) -> tuple[Plan, list[str]]:
    """Check everything and render every file of the entity, writing nothing.

    Returns:
        The plan (paths relative to the project root) and warnings to show.

    Raises:
        UserError: Any refusal: a duplicate, a file in the way, a registry it cannot edit.
    """
    names = options.names
    model_file = _model_file(project, names)
    if model_file.exists() and not options.force:
        raise UserError(
            f"entity {names.class_name} already exists ({_relative(project, model_file)}); "
            "pass --force to overwrite it"
        )
    warnings: list[str] = []
    revision, down_revision, earlier = _migration_ids(project, names)
    code = build_entity_code(options)
    context = {
        "package": options.package,
        "names": names,
        "public": options.read_policy == "public",
        "read_policy": options.read_policy,
        "write_policy": options.write_policy,
        "owned": options.owned,
        "soft_delete": options.soft_delete,
        "revision": revision,
        "down_revision": down_revision,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "code": code,
        "field_tests_code": field_tests_code(options, code.field_tests),
    }
    plan = render_tree(entity_templates(), context)
    missing = missing_factories(project, options)
    if options.tests and missing:
        warnings.append(f"no tests written: {missing[0]} has no tests/factories module")
    if not options.tests or missing:
        plan = {path: data for path, data in plan.items() if path.parts[0] != "tests"}
    if not options.migration:
        plan = {path: data for path, data in plan.items() if path.parts[0] != "migrations"}
    if earlier is not None and not options.force:
        raise UserError(
            f"a migration for {names.table} already exists ({_relative(project, earlier)}); "
            "pass --force to overwrite it"
        )
    if not options.force:
        for path in plan:
            if (project.root / path).exists():
                raise UserError(f"{path} already exists; pass --force to overwrite it")
    package_path = PurePosixPath(options.package)
    routers = package_path / "routers.py"
    models = package_path / "models" / "__init__.py"
    plan[routers] = register_router(project.root / routers, options.package, names).encode()
    plan[models] = register_model(project.root / models, options.package, names).encode()
    readme = project.root / "README.md"
    if readme.is_file():
        text = register_entity_in_readme(readme.read_text(encoding="utf-8"), options)
        plan[PurePosixPath("README.md")] = text.encode()
    return plan, warnings


@app.command("entity", epilog=_EPILOG)
def entity(
    name: Annotated[str, typer.Argument(help="Entity name, e.g. Product or OrderItem.")],
    fields: Annotated[
        list[str] | None, typer.Argument(help="Fields as NAME:TYPE[?][:MOD], e.g. price:decimal.")
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Short for --read public: anyone may read.")
    ] = False,
    owned: Annotated[
        bool,
        typer.Option("--owned", help="Short for --read owner --write owner: rows have an owner."),
    ] = False,
    read: Annotated[
        str | None,
        typer.Option("--read", help="Who may GET: public, user (default), owner or admin."),
    ] = None,
    write: Annotated[
        str | None,
        typer.Option("--write", help="Who may POST/PATCH/DELETE: user (default), owner or admin."),
    ] = None,
    soft_delete: Annotated[
        bool,
        typer.Option("--soft-delete", help="DELETE sets deleted_at instead of removing the row."),
    ] = False,
    no_tests: Annotated[bool, typer.Option("--no-tests", help="Write no tests.")] = False,
    no_migration: Annotated[
        bool, typer.Option("--no-migration", help="Write no migration.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the entity's existing files.")
    ] = False,
) -> None:
    """Add a CRUD entity: model, repository, service, controller, DTOs, tests and a migration.

    The router and the model are registered, so the app serves the entity at
    once (after `fastmvc migrate upgrade`).
    """
    project = find_project()
    options = entity_options(
        project,
        name,
        fields or [],
        public=public,
        soft_delete=soft_delete,
        tests=not no_tests,
        migration=not no_migration,
        force=force,
        owned=owned,
        read=read,
        write=write,
    )
    plan, warnings = build_entity_plan(project, options)
    written = write_plan(project.root, plan)
    names = options.names
    show_files(f"Added {names.class_name} ({names.prefix})", project.root, written)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    show_next_steps(next_steps(options, wrote_tests=not warnings))


_FIELD_EPILOG = """\
Fields use the grammar of `fastmvc add entity` (see its --help).
Existing rows must survive the migration: a nullable field (note:text?) is added
as NULL; --default VALUE fills a required one; any other required field is
NULL for existing rows and required in new bodies.

Examples:

  fastmvc add field Post slug:str:unique

  fastmvc add field Post views:int --default 0

  fastmvc add field Post editor:references?:User labels:many:Tag
"""


@app.command("field", epilog=_FIELD_EPILOG)
def field(
    entity: Annotated[str, typer.Argument(help="The entity to extend, e.g. Post.")],
    fields: Annotated[
        list[str] | None, typer.Argument(help="Fields as NAME:TYPE[?][:MOD], e.g. slug:str.")
    ] = None,
    default: Annotated[
        str | None,
        typer.Option("--default", help="Server default that fills the column in existing rows."),
    ] = None,
    no_tests: Annotated[bool, typer.Option("--no-tests", help="Write no tests.")] = False,
    no_migration: Annotated[
        bool, typer.Option("--no-migration", help="Write no migration.")
    ] = False,
) -> None:
    """Add fields to an entity: model, DTOs, factory, tests and a migration after the head."""
    from fastmvc_cli.field_plan import build_field_plan, field_options

    project = find_project()
    options = field_options(
        project,
        entity,
        fields or [],
        default=default,
        tests=not no_tests,
        migration=not no_migration,
    )
    plan, notes = build_field_plan(project, options)
    written = write_plan(project.root, plan)
    added = ", ".join(f.name for f in options.fields)
    show_files(f"Added {added} to {options.names.class_name}", project.root, written)
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    wrote_tests = not any(note.startswith("no tests") for note in notes)
    show_next_steps(next_steps(options, wrote_tests=wrote_tests))


def next_steps(options: EntityOptions, *, wrote_tests: bool) -> list[str]:
    """What to run after ``add entity`` or ``add field``, given what was written."""
    steps = []
    if options.migration:
        steps.append("fastmvc migrate upgrade")
    else:
        steps.append('fastmvc migrate generate "…"   (no migration was written)')
    if options.tests and wrote_tests:
        steps.append("pytest")
    steps.append(
        f"fastmvc run   (then open http://127.0.0.1:8000/docs#/{options.names.plural_human})"
    )
    return steps
