"""`arena run`: headless competitions from the command line, persisted to a real file."""

import sqlite3

from arena.cli import main


def test_run_replays_the_whole_btc_month_and_reports(shared_data_dir, tmp_path, capsys):
    db = tmp_path / "run.db"
    code = main(
        [
            "run",
            "--feed",
            f"replay:{shared_data_dir / 'btc-perp-2022-01_1m.csv'}",
            "--agents",
            "momentum,mean_reversion,balanced,buy_and_hold",
            "--db",
            str(db),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "FINISHED after 45,031 rounds" in out
    assert "bar-steps/s" in out
    for strategy in ("momentum", "mean_reversion", "balanced", "buy_and_hold"):
        assert strategy in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from price_tick").fetchone()[0] == 45_031
        (status,) = conn.execute("select status from competition").fetchone()
    assert status == "FINISHED"


def test_run_on_the_simulated_feed_without_persistence(capsys):
    assert main(["run", "--feed", "sim:5", "--rounds", "200", "--no-db", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "FINISHED after 200 rounds" in out
    assert "random" in out


def test_run_with_a_bad_feed_file_says_what_is_wrong(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n2022-01-01 00:00:00.000000,1,2,0.5,abc,3\n")
    assert main(["run", "--feed", f"replay:{bad}", "--no-db", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 2" in err
