"""Depth and alias limits hold, and the validation cache really hits."""

import pytest
from graphql import parse, validate
from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache

from arena.api.limits import MAX_ALIASES
from arena.api.schema import GUARD_RULES, build_schema


@pytest.fixture(scope="module")
def schema():
    return build_schema()


async def test_alias_bomb_is_refused(schema):
    query = "{ " + " ".join(f"a{i}: replayFiles" for i in range(MAX_ALIASES + 1)) + " }"
    result = await schema.execute(query)
    assert result.errors and "aliases" in result.errors[0].message.lower()


def test_depth_limit_is_enforced(schema):
    deep = "{ " + " { ".join("abcdefghijkl") + " }" * 12
    errors = validate(schema._schema, parse(deep), [GUARD_RULES[0]])
    assert any("depth" in e.message.lower() for e in errors)
    shallow = "{ arena { competition { leaderboard { agent { positions { symbol } } } } } }"
    assert validate(schema._schema, parse(shallow), GUARD_RULES) == []


async def test_a_second_identical_request_skips_validation(schema):
    """Strawberry's ValidationCache keys on the rules too: rules built per request would never hit."""
    cache = _get_validate_cache(DEFAULT_MAXSIZE)
    query = "query CacheProbe { __typename }"  # a text no other test sends
    before = cache.cache_info()
    first = await schema.execute(query)
    after_first = cache.cache_info()
    second = await schema.execute(query)
    after_second = cache.cache_info()
    assert first.errors is None and second.errors is None
    assert (after_first.misses - before.misses, after_first.hits - before.hits) == (1, 0)
    assert (after_second.misses - after_first.misses, after_second.hits - after_first.hits) == (0, 1)
