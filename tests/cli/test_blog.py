"""A blog, built from the CLI as a new user would, on SQLite and on PostgreSQL.

Category (with a parent), Tag, and a soft-deleted Post with two references to
users, a reference to a category, a tag set, and then ``add field Post
slug:str:unique``. The project then has to migrate, pass its own tests, ruff
and ``migrate check``, go down to base and up again, and serve the API:
includes, tag sets, restore, live-only uniqueness, and a 409 for deleting a
category that a post still references.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.wheel import Venv
from tests.support.serving import served_project

# Builds the wheel (shared), then the blog twice: far past the default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

POST_FIELDS = [
    "title:str",
    "author:references:User",
    "reviewer:references?:User",
    "category:references",
    "tags:many:Tag",
    "body:text",
    "published:date?",
    "uuid:uuid",
]


def _scaffold(run: Any, root: Path, env: dict[str, str]) -> Path:
    run(["fastmvc", "new", "blog", "--no-git"], root, env)
    blog = root / "blog"
    add = ["fastmvc", "add", "entity"]
    run([*add, "Category", "name:str:unique", "parent:references?:Category"], blog, env)
    run([*add, "Tag", "name:str:unique"], blog, env)
    run([*add, "Post", *POST_FIELDS, "--soft-delete"], blog, env)
    added = run(["fastmvc", "add", "field", "Post", "slug:str:unique"], blog, env)
    assert "add_slug_to_posts.py" in added.stdout
    return blog


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


ADMIN = {"email": "root@example.com", "password": "an admin password of some length"}


def _make_admin(venv: Venv, blog: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(venv.bin / "fastmvc"), "users", "create", ADMIN["email"], "--admin",
         "--password-stdin"],
        cwd=blog, env=env, input=ADMIN["password"] + "\n", capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _drive(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=20) as http:
        admin_token = _ok(http.post("/auth/login", json=ADMIN))["access_token"]
        admin = {"Authorization": f"Bearer {admin_token}"}
        ada = {"email": "ada@example.com", "password": "correct horse battery"}
        bob = _ok(http.post("/auth/register", json={**ada, "email": "bob@example.com"}), 201)
        _ok(http.post("/auth/register", json=ada), 201)
        token = _ok(http.post("/auth/login", json=ada))["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        me = _ok(http.get("/users/me"))["user"]

        news = _ok(http.post("/categories", json={"name": "news"}), 201)
        local = _ok(http.post("/categories", json={"name": "local", "parent_id": news["id"]}), 201)
        parent = _ok(http.get(f"/categories/{local['id']}", params={"include": "parent"}))
        assert parent["parent"]["name"] == "news"
        tags = [_ok(http.post("/tags", json={"name": n}), 201)["id"] for n in ("a", "b", "c")]

        body = {
            "title": "Hello", "author_id": me["id"], "reviewer_id": bob["user"]["id"],
            "category_id": local["id"], "tag_ids": [tags[1], tags[0]], "body": "First post",
            "uuid": "6f1c1d43-3b57-4d1c-9d0e-0a1b2c3d4e5f", "slug": "hello",
        }  # fmt: skip
        post = _ok(http.post("/posts", json=body), 201)
        assert post["tag_ids"] == sorted(tags[:2])
        assert post["published"] is None
        assert "author" not in post

        listed = _ok(http.get("/posts", params={"include": "author,tags", "limit": 20}))
        (item,) = listed["items"]
        assert item["author"]["email"] == "ada@example.com"
        assert "password_hash" not in item["author"]
        assert [tag["name"] for tag in item["tags"]] == ["a", "b"]
        assert "reviewer" not in item
        got = _ok(http.get(f"/posts/{post['id']}", params={"include": "reviewer,category"}))
        assert got["reviewer"]["email"] == "bob@example.com"
        assert got["category"]["name"] == "local"
        assert http.get("/posts", params={"include": "author,nope"}).status_code == 400

        url = f"/posts/{post['id']}"
        assert _ok(http.patch(url, json={"tag_ids": [tags[2]]}))["tag_ids"] == [tags[2]]
        assert http.patch(url, json={"tag_ids": [tags[2], 987654]}).status_code == 422
        assert _ok(http.get(url))["tag_ids"] == [tags[2]]

        # Soft delete: gone from reads, listed with ?deleted=only, its slug free again.
        _ok(http.delete(url))
        assert http.get(url).status_code == 404
        assert http.get("/posts", params={"deleted": "only"}).status_code == 403  # admins only
        deleted = _ok(http.get("/posts", params={"deleted": "only"}, headers=admin))["items"]
        assert [row["id"] for row in deleted] == [post["id"]]
        again = _ok(http.post("/posts", json={**body, "tag_ids": []}), 201)
        assert http.post(f"{url}/restore").status_code == 409  # "hello" is taken by a live row
        _ok(http.delete(f"/posts/{again['id']}"))
        restored = _ok(http.post(f"{url}/restore"))
        assert restored["tag_ids"] == [tags[2]]
        assert _ok(http.get(url))["slug"] == "hello"

        # Deleting what others still reference is a conflict, not a 500.
        refused = http.delete(f"/categories/{news['id']}")
        assert refused.status_code == 409, refused.text
        assert refused.json()["responseKey"] == "error_still_referenced"
        assert http.delete(f"/categories/{local['id']}").status_code == 409
        _ok(http.delete(f"/tags/{tags[2]}"))  # a tag just leaves the sets it was in
        assert _ok(http.get(url))["tag_ids"] == []


def test_blog_round_trip(wheel_venv: Venv, database_env: dict[str, str], tmp_path: Path) -> None:
    run, env = wheel_venv.run, database_env
    blog = _scaffold(run, tmp_path, env)
    upgraded = run(["fastmvc", "migrate", "upgrade"], blog, env)
    assert "Add slug to posts" in upgraded.stdout

    tests = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], blog, env)
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    collected = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co"], blog, env)
    for name in (
        "test_category.py::test_get_and_list_include_parent",
        "test_post.py::test_get_and_list_include_author",
        "test_post.py::test_tag_ids_are_replaced_as_a_set",
        "test_post.py::test_deleting_a_referenced_category_is_409",
        "test_post.py::test_restore_brings_back_a_deleted_row",
        "test_post.py::test_slug_is_unique_among_live_rows",
    ):
        assert name in collected.stdout, name

    run(["ruff", "check", "--no-cache", "."], blog, env)
    run(["ruff", "format", "--check", "--no-cache", "."], blog, env)
    run(["fastmvc", "migrate", "check"], blog, env)
    down = run(["fastmvc", "migrate", "downgrade", "base"], blog, env)
    assert "Running downgrade" in down.stdout
    run(["fastmvc", "migrate", "upgrade"], blog, env)
    run(["fastmvc", "migrate", "check"], blog, env)

    readme = (blog / "README.md").read_text()
    assert readme.startswith("# blog\n")
    assert "- **Post** at `/posts`:" in readme and "`slug` (str, unique)" in readme
    assert "- **Category** at `/categories`: `name` (str, unique), `parent`? → Category" in readme

    _make_admin(wheel_venv, blog, env)
    fastmvc = [str(wheel_venv.bin / "fastmvc")]
    with served_project(blog, env, blog / "server.log", fastmvc=fastmvc) as base_url:
        _drive(base_url)
