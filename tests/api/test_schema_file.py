"""schema.graphql at the repo root equals the live schema (`arena export-schema`)."""

from pathlib import Path

from arena.cli import main

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_equals_export(tmp_path):
    exported = tmp_path / "schema.graphql"
    assert main(["export-schema", "-o", str(exported)]) == 0
    assert SCHEMA_FILE.read_text() == exported.read_text(), "run `arena export-schema -o schema.graphql`"


def test_schema_names_the_required_fields():
    sdl = SCHEMA_FILE.read_text()
    for name in (
        "arena:",
        "competitions(",
        "competition(",
        "agents(",
        "agent(",
        "trades(",
        "leaderboard(",
        "prices(",
        "priceHistory(",
        "equityHistory(",
        "node(",
        "startCompetition(",
        "pauseCompetition",
        "resumeCompetition",
        "stopCompetition",
        "arenaEvents",
        "scalar Decimal",
    ):
        assert name in sdl, name
