"""Depth and alias limits hold, and the validation cache can hit (the rules are the same objects)."""

import pytest

from arena.api.schema import GUARD_RULES, MAX_ALIASES, build_schema


@pytest.fixture(scope="module")
def schema():
    return build_schema()


async def test_alias_bomb_is_refused(schema):
    query = "{ " + " ".join(f"a{i}: replayFiles" for i in range(MAX_ALIASES + 1)) + " }"
    result = await schema.execute(query)
    assert result.errors and "aliases" in result.errors[0].message.lower()


def test_depth_limit_is_enforced(schema):
    from graphql import parse, validate

    deep = "{ " + " { ".join("abcdefghijkl") + " }" * 12
    errors = validate(schema._schema, parse(deep), [GUARD_RULES[0]])
    assert any("depth" in e.message.lower() for e in errors)
    shallow = "{ arena { competition { leaderboard { agent { positions { symbol } } } } } }"
    assert validate(schema._schema, parse(shallow), GUARD_RULES) == []


def test_guard_rules_are_built_once():
    from arena.api import schema as module

    assert module.GUARD_RULES is GUARD_RULES
    assert all(isinstance(rule, type) for rule in GUARD_RULES)
