"""The choices of ``fastmvc add entity`` and ``fastmvc add field``, as one object.

The command builds an :class:`EntityOptions` once from its flags; the plan,
the code snippets and the templates read it, so a new flag is one new
attribute here instead of one more keyword down a chain of functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastmvc_cli.fields import FieldSpec
from fastmvc_cli.naming import EntityNames

__all__ = ["EntityOptions", "Target"]


@dataclass(frozen=True)
class Target:
    """What the project says about an entity that a relation points at.

    Attributes:
        names: The target's names.
        soft_delete: Its rows are soft-deleted (so deleting one never breaks a reference).
        has_routes: It has the CRUD routes of ``add entity`` (``User`` has not).
    """

    names: EntityNames
    soft_delete: bool = False
    has_routes: bool = True


@dataclass(frozen=True)
class EntityOptions:
    """One run of ``add entity`` or ``add field``.

    Attributes:
        names: The entity's names.
        package: The project's package.
        fields: The fields to write (for ``add field``, only the new ones).
        public: Reads need no token (``--public``).
        soft_delete: DELETE sets ``deleted_at`` (``--soft-delete``; read from
            the model for ``add field``).
        tests: Write tests (not ``--no-tests``).
        migration: Write a migration (not ``--no-migration``).
        force: Overwrite the entity's files (``--force``).
        default: ``add field --default VALUE``: the server default that makes a
            new required column safe for existing rows.
        targets: The entities the relations point at, by class name.
        read_policy: Who may read (``--read``/``--public``/``--owned``).
        write_policy: Who may write (``--write``/``--owned``).
    """

    names: EntityNames
    package: str
    fields: tuple[FieldSpec, ...] = ()
    public: bool = False
    soft_delete: bool = False
    tests: bool = True
    migration: bool = True
    force: bool = False
    default: str | None = None
    targets: dict[str, Target] = field(default_factory=dict)
    read_policy: str = "user"
    write_policy: str = "user"

    @property
    def owned(self) -> bool:
        """Rows have an ``owner_id``: one of the policies is ``owner``."""
        return "owner" in (self.read_policy, self.write_policy)

    def target(self, spec: FieldSpec) -> Target:
        """The project's facts about a relation's target."""
        return self.targets.get(spec.target.class_name) or Target(spec.target)

    @property
    def first_party(self) -> tuple[str, str]:
        """Top-level names of the project's own imports."""
        return (self.package, "tests")
