"""The collector's tuning for a backtest holds while it plays and is undone afterwards."""

import gc

from arena.app.collector import BACKTEST, tuned_for_backtest


def test_a_backtest_collects_young_objects_rarely_and_leaves_the_collector_as_it_was():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert before != BACKTEST
    with tuned_for_backtest():
        assert gc.get_threshold() == BACKTEST
        assert gc.get_freeze_count() > 0  # what startup made is out of the collector's sight
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_turned_off_it_changes_nothing():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with tuned_for_backtest(enabled=False):
        assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
