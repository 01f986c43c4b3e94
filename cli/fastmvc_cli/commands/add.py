"""``fastmvc add entity NAME FIELD:TYPE[:MOD]…``: a CRUD entity in every layer.

Everything is checked and rendered first (names, fields, references, the
migration head, the registry edits); only then is any file written, so a
refused command leaves the project as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from fastmvc_cli.console import console, show_files, show_next_steps
from fastmvc_cli.entity_code import build_entity_code
from fastmvc_cli.errors import UserError
from fastmvc_cli.fields import FieldSpec, parse_fields
from fastmvc_cli.naming import EntityNames, entity_names
from fastmvc_cli.project import Project, find_project
from fastmvc_cli.registry import register_model, register_router
from fastmvc_cli.render import Plan, render_tree, write_plan
from fastmvc_cli.resources import entity_templates
from fastmvc_cli.revisions import current_head, new_revision_id, read_revisions

__all__ = ["app", "build_entity_plan"]

app = typer.Typer(
    help="Add code to the project in the current folder.",
    no_args_is_help=True,
)

_EPILOG = """\
Types: str text int bigint float decimal bool date datetime uuid json references.
A trailing ? makes a field nullable (note:text?); MOD is unique or index.
category:references adds a category_id foreign key to categories.id.

Examples:

  fastmvc add entity Category name:str:unique

  fastmvc add entity Product name:str price:decimal stock:int note:text? category:references

  fastmvc add entity Post title:str body:text --public --soft-delete

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


def _check_references(project: Project, names: EntityNames, fields: list[FieldSpec]) -> None:
    for field in fields:
        if not field.is_reference:
            continue
        target = field.target
        if target.module == names.module:
            raise UserError(f"field {field.name}:references: an entity cannot reference itself yet")
        if not (project.package_dir / "models" / f"{target.module}.py").is_file():
            raise UserError(
                f"field {field.name}:references: there is no {target.class_name} entity; "
                f"add it first with `fastmvc add entity {target.class_name} …`"
            )


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


def build_entity_plan(
    project: Project,
    name: str,
    field_specs: list[str],
    *,
    public: bool = False,
    soft_delete: bool = False,
    tests: bool = True,
    migration: bool = True,
    force: bool = False,
    owned: bool = False,
    read: str | None = None,
    write: str | None = None,
) -> tuple[Plan, list[str]]:
    """Check everything and render every file of the entity, writing nothing.

    Returns:
        The plan (paths relative to the project root) and warnings to show.

    Raises:
        UserError: Any refusal: a duplicate, a bad name or field, a missing reference.
    """
    read_policy, write_policy = resolve_access(public=public, owned=owned, read=read, write=write)
    is_owned = "owner" in (read_policy, write_policy)
    names = entity_names(name)
    if names.module in _RESERVED_ENTITIES:
        raise UserError(f"entity name {name!r} is reserved: the auth module owns the User model")
    fields = list(parse_fields(field_specs))
    package = project.package
    model_file = project.package_dir / "models" / f"{names.module}.py"
    if model_file.exists() and not force:
        raise UserError(
            f"entity {names.class_name} already exists ({_relative(project, model_file)}); "
            "pass --force to overwrite it"
        )
    _check_references(project, names, fields)
    warnings: list[str] = []
    revision, down_revision, earlier = _migration_ids(project, names)
    context = {
        "package": package,
        "names": names,
        "public": read_policy == "public",
        "read_policy": read_policy,
        "write_policy": write_policy,
        "owned": is_owned,
        "soft_delete": soft_delete,
        "revision": revision,
        "down_revision": down_revision,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "code": build_entity_code(
            names, fields, package=package, soft_delete=soft_delete, owned=is_owned
        ),
    }
    plan = render_tree(entity_templates(), context)
    missing_factories = [
        f.target.class_name
        for f in fields
        if f.is_reference
        and not (project.root / "tests" / "factories" / f"{f.target.module}.py").is_file()
    ]
    if tests and missing_factories:
        warnings.append(f"no tests written: {missing_factories[0]} has no tests/factories module")
    if not tests or missing_factories:
        plan = {path: data for path, data in plan.items() if path.parts[0] != "tests"}
    if not migration:
        plan = {path: data for path, data in plan.items() if path.parts[0] != "migrations"}
    if earlier is not None and not force:
        raise UserError(
            f"a migration for {names.table} already exists ({_relative(project, earlier)}); "
            "pass --force to overwrite it"
        )
    if not force:
        for path in plan:
            if (project.root / path).exists():
                raise UserError(f"{path} already exists; pass --force to overwrite it")
    package_path = PurePosixPath(package)
    routers = package_path / "routers.py"
    models = package_path / "models" / "__init__.py"
    plan[routers] = register_router(project.root / routers, package, names).encode()
    plan[models] = register_model(project.root / models, package, names).encode()
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
    plan, warnings = build_entity_plan(
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
    written = write_plan(project.root, plan)
    names = entity_names(name)
    show_files(f"Added {names.class_name} ({names.prefix})", project.root, written)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    show_next_steps(["fastmvc migrate upgrade", "pytest", "fastmvc run"])
