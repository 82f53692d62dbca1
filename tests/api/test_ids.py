import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena.api.ids import decode_cursor, encode_cursor, from_global_id, to_global_id
from arena.errors import ArenaError, ErrorCode


@given(st.sampled_from(["Agent", "Trade", "Competition"]), st.text(min_size=1, max_size=40))
def test_global_ids_round_trip(type_name, raw):
    assert from_global_id(to_global_id(type_name, raw)) == (type_name, raw)


@given(st.integers(min_value=0, max_value=2**62))
def test_cursors_round_trip(value):
    assert decode_cursor(encode_cursor(value)) == value


@pytest.mark.parametrize("bad", ["", "!!!", "Zm9v", to_global_id("Agent", "x"), to_global_id("cursor", "abc")])
def test_bad_cursors_are_invalid_input(bad):
    with pytest.raises(ArenaError) as err:
        decode_cursor(bad)
    assert err.value.code is ErrorCode.INVALID_INPUT
