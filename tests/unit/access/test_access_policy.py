"""The access policies as pure functions: every policy against every kind of caller."""

from __future__ import annotations

from typing import Any

import pytest

from fastmvc.access import (
    ADMIN_ROLE,
    OWNER_COLUMN,
    Access,
    Grant,
    Policy,
    authorize,
    is_admin,
    owner_scope,
    roles_of,
    subject_id,
)
from fastmvc.errors import ForbiddenError, UnauthorizedError
from fastmvc.security import Principal


def principal(sub: str = "7", **claims: Any) -> Principal:
    return Principal(
        sub=sub, jti="j", fam="f", exp=2**31, typ="access", claims={"iat": 1.5, **claims}
    )


USER = principal("7", roles=[])
ADMIN = principal("1", roles=[ADMIN_ROLE])


def test_names_are_the_documented_ones() -> None:
    assert [p.value for p in Policy] == ["public", "user", "owner", "admin"]
    assert OWNER_COLUMN == "owner_id"
    assert ADMIN_ROLE == "admin"


def test_public_needs_no_token_and_forgets_any_caller() -> None:
    assert authorize(Policy.PUBLIC, None) == Grant(actor=None, owner_only=False)
    assert authorize(Policy.PUBLIC, USER).actor is None


@pytest.mark.parametrize("policy", [Policy.USER, Policy.OWNER, Policy.ADMIN])
def test_every_other_policy_needs_a_token(policy: Policy) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        authorize(policy, None)
    assert caught.value.status_code == 401
    assert caught.value.headers["WWW-Authenticate"] == "Bearer"


def test_user_passes_any_signed_in_caller_with_every_row() -> None:
    assert authorize(Policy.USER, USER) == Grant(actor=USER, owner_only=False)
    assert owner_scope(authorize(Policy.USER, USER)) is None


def test_owner_limits_a_user_to_their_rows() -> None:
    grant = authorize(Policy.OWNER, USER)
    assert grant == Grant(actor=USER, owner_only=True)
    assert owner_scope(grant) == {"owner_id": 7}


def test_owner_lets_an_admin_see_every_row() -> None:
    grant = authorize(Policy.OWNER, ADMIN)
    assert grant == Grant(actor=ADMIN, owner_only=False)
    assert owner_scope(grant) is None


def test_admin_refuses_a_plain_user_with_403() -> None:
    with pytest.raises(ForbiddenError) as caught:
        authorize(Policy.ADMIN, USER)
    assert caught.value.status_code == 403
    assert caught.value.response_key == "error_admin_required"
    # The message is what the 403 envelope shows.
    assert caught.value.message == "Admins only"
    assert authorize(Policy.ADMIN, ADMIN) == Grant(actor=ADMIN, owner_only=False)


@pytest.mark.parametrize(
    "roles", [None, "admin", ["Admin"], [["admin"]], {"admin": True}, [1], ["user"]]
)
def test_only_a_list_holding_the_string_admin_is_the_admin_role(roles: Any) -> None:
    caller = principal("7") if roles is None else principal("7", roles=roles)
    assert not is_admin(caller)
    with pytest.raises(ForbiddenError):
        authorize(Policy.ADMIN, caller)
    assert authorize(Policy.OWNER, caller).owner_only


def test_roles_of_keeps_only_strings() -> None:
    assert roles_of(principal(roles=["admin", 3, "editor"])) == frozenset({"admin", "editor"})
    assert roles_of(principal()) == frozenset()
    assert not is_admin(None)


@pytest.mark.parametrize("sub", ["0", "-1", "abc", "", "1.5", "²", "9" * 20, str(2**63)])
def test_an_owner_scope_needs_a_positive_64_bit_subject(sub: str) -> None:
    caller = principal(sub, roles=[])
    with pytest.raises(UnauthorizedError) as caught:
        subject_id(caller)
    # The message is what the 401 envelope shows.
    assert caught.value.message == "Invalid token"
    with pytest.raises(UnauthorizedError, match=r"^Invalid token$"):
        authorize(Policy.OWNER, caller)


def test_subject_id_bounds() -> None:
    assert subject_id(principal("1")) == 1
    assert subject_id(principal(str(2**63 - 1))) == 2**63 - 1


def test_owner_scope_of_a_grant_without_owner_only_or_actor() -> None:
    assert owner_scope(Grant(actor=None, owner_only=True)) is None
    assert owner_scope(Grant(actor=USER, owner_only=False)) is None
    assert owner_scope(Grant(actor=USER, owner_only=True)) == {"owner_id": 7}


def test_access_defaults_to_user_user_and_reads_strings() -> None:
    assert Access() == Access(read=Policy.USER, write=Policy.USER)
    access = Access(read="public", write="admin")  # type: ignore[arg-type]
    assert access.read is Policy.PUBLIC and access.write is Policy.ADMIN
    assert not access.owned


@pytest.mark.parametrize(
    ("read", "write", "owned"),
    [("owner", "owner", True), ("owner", "user", True), ("user", "owner", True),
     ("public", "admin", False), ("admin", "admin", False)],
)  # fmt: skip
def test_access_owned(read: str, write: str, owned: bool) -> None:
    assert Access(read=Policy(read), write=Policy(write)).owned is owned


def test_access_refuses_public_writes_and_unknown_names() -> None:
    with pytest.raises(
        ValueError, match=r"^the write policy cannot be public: writes always need a token$"
    ):
        Access(read=Policy.PUBLIC, write=Policy.PUBLIC)
    with pytest.raises(ValueError):
        Access(read="everyone")  # type: ignore[arg-type]


def test_principal_exposes_roles_and_precise_issue_time() -> None:
    caller = principal("7", roles=["admin"])
    assert caller.roles == frozenset({"admin"})
    assert caller.issued_at == 1.5
