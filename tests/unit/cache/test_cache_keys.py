import hashlib
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmvc.cache.keys import KeyBuilder


async def find(category: str, *, limit: int = 10, tags: frozenset[str] = frozenset()) -> None:
    return None


def test_hashed_key_is_prefix_and_sha256_of_canonical_arguments() -> None:
    build = KeyBuilder(find, prefix="products")
    canonical = b'{"category":"toys","limit":10,"tags":{"$type":"frozenset","value":[]}}'
    expected = hashlib.sha256(canonical)
    assert build(("toys",), {}) == f"products:{expected.hexdigest()}"


def test_defaults_and_keyword_spelling_give_one_key() -> None:
    build = KeyBuilder(find)
    key = build(("toys",), {})
    assert build((), {"category": "toys"}) == key
    assert build(("toys",), {"limit": 10}) == key
    assert build(("toys",), {"limit": 11}) != key
    assert build(("games",), {}) != key


def test_default_prefix_is_module_and_qualname() -> None:
    assert KeyBuilder(find)(("x",), {}).startswith(f"{__name__}.find:")


def test_leading_self_is_left_out() -> None:
    class Service:
        async def get(self, product_id: int) -> None:
            return None

    build = KeyBuilder(Service.get, prefix="svc")
    assert build((Service(), 1), {}) == build((Service(), 1), {})
    assert build((Service(), 1), {}) != build((Service(), 2), {})


def test_ignored_parameter_does_not_change_the_key() -> None:
    async def load(session: object, product_id: int) -> None:
        return None

    build = KeyBuilder(load, prefix="p", ignore=("session",))
    assert build((object(), 1), {}) == build((object(), 1), {})


def test_unhashable_argument_names_the_fix() -> None:
    async def load(session: object, product_id: int) -> None:
        return None

    with pytest.raises(TypeError, match=r"ignore=\(\.\.\.\)"):
        KeyBuilder(load)((object(), 1), {})


def test_template_is_the_whole_key() -> None:
    async def get(product_id: int, lang: str = "en") -> None:
        return None

    build = KeyBuilder(get, template="product:{product_id}:{lang}")
    assert build((42,), {}) == "product:42:en"
    assert build((), {"product_id": 7, "lang": "fr"}) == "product:7:fr"
    assert build.is_templated


def test_template_may_reach_attributes_of_self() -> None:
    class Tenant:
        name = "acme"

        async def get(self, product_id: int) -> None:
            return None

    build = KeyBuilder(Tenant.get, template="{self.name}:product:{product_id}")
    assert build((Tenant(), 5), {}) == "acme:product:5"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"template": "p:{missing}"}, "no parameter"),
        ({"template": "p:{0}"}, "parameter names"),
        ({"template": "p:{}"}, "parameter names"),
        ({"ignore": ("nope",)}, "no parameter"),
        ({"template": "p:{category}", "prefix": "x"}, "not both"),
    ],
)
def test_bad_key_options_fail_at_decoration(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyBuilder(find, **options)  # type: ignore[arg-type]


def test_wrong_arguments_raise_type_error() -> None:
    with pytest.raises(TypeError):
        KeyBuilder(find)((), {"nope": 1})


def test_keys_are_stable_across_processes_with_different_hash_seeds() -> None:
    script = textwrap.dedent(
        """
        from fastmvc.cache.keys import KeyBuilder
        async def f(a, b, c): ...
        print(KeyBuilder(f, prefix="p")(({"x", "y", "z"}, {"k": 1, "j": 2}, ("t", 1.5)), {}))
        """
    )
    keys = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        keys.add(result.stdout.strip())
    assert len(keys) == 1
    assert keys.pop().startswith("p:")


async def report(tenant: str, report: str) -> None:
    return None


def test_template_values_cannot_forge_a_separator() -> None:
    # Issue 8, defect 6: ("acme:secret", "q1") and ("acme", "secret:q1") shared one entry.
    build = KeyBuilder(report, template="report:{tenant}:{report}")
    first = build(("acme:secret", "q1"), {})
    second = build(("acme", "secret:q1"), {})
    assert first != second
    assert first == "report:acme%3Asecret:q1"
    assert second == "report:acme:secret%3Aq1"
    assert build(("100%", "q1"), {}) == "report:100%25:q1"


@pytest.mark.parametrize("template", ["r:{tenant}{report}", "r:{tenant}and{report}"])
def test_fields_without_a_separator_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match="no separator"):
        KeyBuilder(report, template=template)


_PIECES = st.text(max_size=4).map(lambda s: s.replace("{", "").replace("}", ""))
_SEPARATORS = _PIECES.filter(lambda s: any(not (c.isascii() and c.isalnum()) for c in s))


@given(head=_PIECES, middle=_SEPARATORS, tail=_PIECES, data=st.data())
@settings(max_examples=400, deadline=None)
def test_distinct_arguments_never_share_a_template_key(
    head: str, middle: str, tail: str, data: st.DataObject
) -> None:
    template = f"{head}{{tenant}}{middle}{{report}}{tail}"
    build = KeyBuilder(report, template=template)
    # Values made of the template's own characters are the ones that could forge a key.
    values = st.text(alphabet=st.sampled_from(sorted(set(head + middle + tail + "a%"))), max_size=6)
    first = (data.draw(values), data.draw(values))
    second = (data.draw(values), data.draw(values))
    if first != second:
        assert build(first, {}) != build(second, {})
