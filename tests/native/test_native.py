"""The compiled round: used only while it matches its sources, and it gives the same results as they do.

Each case runs a fresh interpreter (what a process imports first decides which modules it runs) over
a copy of the real build, so that a tampered copy never touches the build the other tests use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from arena import native

# CI sets this: there the compiled round must have been built, and be what the tests run
REQUIRE_NATIVE = os.environ.get("ARENA_REQUIRE_NATIVE") == "1"
ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, arena.native, arena.engine.competition as c, arena.agents.momentum as m;"
    "s = arena.native.status();"
    "print(json.dumps({'active': s.active, 'detail': s.detail, 'files': [c.__file__, m.__file__]}))"
)


def probe(env: dict[str, str]) -> dict[str, object]:
    """What a new process given `env` runs: whether compiled, why not, and where two modules came from."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True, text=True, check=True, cwd=ROOT
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def compiled(path: object) -> bool:
    return isinstance(path, str) and path.endswith(tuple(EXTENSION_SUFFIXES))


@pytest.fixture
def build_copy(tmp_path: Path) -> Path:
    """A copy of the real build (skips where there is none, unless CI requires one)."""
    manifest = native.BUILD_DIR / native.MANIFEST
    if not manifest.exists():
        if REQUIRE_NATIVE:
            pytest.fail(
                f"no compiled round at {native.BUILD_DIR} (ARENA_REQUIRE_NATIVE=1: `arena native` must build it)"
            )
        pytest.skip("the compiled round is not built here (arena native)")
    copy = tmp_path / "native"
    shutil.copytree(native.BUILD_DIR, copy)
    current = probe({native.DIR_ENV: str(copy)})
    if not current["active"]:  # e.g. a source edited since the build: nothing compiled to compare
        if REQUIRE_NATIVE:
            pytest.fail(f"the compiled round is not usable: {current['detail']}")
        pytest.skip(f"the compiled round is not usable here: {current['detail']}")
    return copy


def test_this_process_runs_the_compiled_round_where_ci_built_it() -> None:
    if not REQUIRE_NATIVE:
        pytest.skip("only where the compiled round must have been built (ARENA_REQUIRE_NATIVE=1)")
    import arena.engine.competition

    status = native.status()
    assert status.active, status.detail
    assert compiled(arena.engine.competition.__file__)


def test_a_current_build_is_used_from_its_own_folder(build_copy: Path) -> None:
    seen = probe({native.DIR_ENV: str(build_copy), native.OFF_ENV: "1"})
    assert seen["active"] is True, seen["detail"]
    files = seen["files"]
    assert isinstance(files, list) and all(compiled(f) and str(f).startswith(str(build_copy)) for f in files)


def test_a_build_older_than_one_source_is_not_used_at_all(build_copy: Path) -> None:
    manifest_file = build_copy / native.MANIFEST
    manifest = json.loads(manifest_file.read_text())
    manifest["modules"]["arena.engine.stats"] = "0" * 64  # as if stats.py had changed since the build
    manifest_file.write_text(json.dumps(manifest))
    seen = probe({native.DIR_ENV: str(build_copy)})
    assert seen["active"] is False
    assert "out of date (arena.engine.stats changed" in str(seen["detail"])
    files = seen["files"]
    assert isinstance(files, list) and all(str(f).endswith(".py") for f in files)  # none of them, not only stats


def test_a_build_for_another_python_is_not_used(build_copy: Path) -> None:
    manifest_file = build_copy / native.MANIFEST
    manifest = json.loads(manifest_file.read_text())
    manifest["abi"] = "cpython-399-plan9"
    manifest_file.write_text(json.dumps(manifest))
    seen = probe({native.DIR_ENV: str(build_copy)})
    assert seen["active"] is False and "built for cpython-399-plan9" in str(seen["detail"])


def test_the_sources_run_when_asked_or_when_nothing_is_built(build_copy: Path, tmp_path: Path) -> None:
    off = probe({native.DIR_ENV: str(build_copy), native.OFF_ENV: "0"})
    assert off["active"] is False and off["detail"] == "ARENA_NATIVE=0"
    empty = probe({native.DIR_ENV: str(tmp_path / "nothing-here")})
    assert empty["active"] is False and "not built" in str(empty["detail"])
    for seen in (off, empty):
        files = seen["files"]
        assert isinstance(files, list) and all(str(f).endswith(".py") for f in files)


@pytest.mark.shared_data
def test_compiled_and_pure_python_rounds_give_the_same_events_and_rows(
    build_copy: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    """Five strategies (the seeded random one too) over 6,000 bars of the BTC month, both ways:
    every event and every stored row the same (bench.replay_digest)."""
    csv = shared_data_dir / "btc-perp-2022-01_1m.csv"
    digests = {}
    for mode, flag in (("compiled", "1"), ("sources", "0")):
        out = tmp_path / f"{mode}.json"
        subprocess.run(
            [sys.executable, "-m", "bench.replay_digest", "--csv", str(csv), "--rounds", "6000", "--out", str(out)],
            env={**os.environ, native.DIR_ENV: str(build_copy), native.OFF_ENV: flag},
            capture_output=True,
            check=True,
            cwd=ROOT,
        )
        digests[mode] = json.loads(out.read_text())
    compiled_run, pure_run = digests["compiled"], digests["sources"]
    assert compiled_run["rows"]["fill"] > 100  # the strategies traded: the comparison covers fills, not only ticks
    for run in (
        compiled_run,
        pure_run,
    ):  # how many run-closing equity rows a run stores is a timing (bench.replay_digest)
        del run["equity_rows"]
    assert compiled_run == pure_run


def test_a_build_whose_sources_import_a_changed_module_is_not_used(build_copy: Path) -> None:
    """Not compiled, `arena.engine.config` is still what compiled code reads its types from."""
    manifest_file = build_copy / native.MANIFEST
    manifest = json.loads(manifest_file.read_text())
    assert "arena.engine.config" in manifest["imports"]
    manifest["imports"]["arena.engine.config"] = "0" * 64
    manifest_file.write_text(json.dumps(manifest))
    seen = probe({native.DIR_ENV: str(build_copy)})
    assert seen["active"] is False and "arena.engine.config changed" in str(seen["detail"])


def test_a_current_build_is_not_built_again_and_a_folder_that_is_not_a_build_is_never_replaced(
    build_copy: Path, tmp_path: Path
) -> None:
    arena_cli = [sys.executable, "-m", "arena.cli", "native", "--if-stale"]
    done = subprocess.run(
        arena_cli, env={**os.environ, native.DIR_ENV: str(build_copy)}, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and done.stdout == ""  # current: nothing to do, nothing said
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    refused = subprocess.run(
        [sys.executable, "-m", "arena.cli", "native", "--quiet"],
        env={**os.environ, native.DIR_ENV: str(precious)},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert refused.returncode == 2 and "not replacing it" in refused.stderr
    assert (precious / "notes.txt").read_text() == "mine"
