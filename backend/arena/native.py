"""The compiled round: the engine's hot modules built with mypyc, and used only while they match their sources.

A backtest spends its time in a round's Python: the strategies, the accounts, the standings.
mypyc (it ships with mypy) compiles these typed modules to C extensions that run them about
twice as fast, with the same results (`tests/native` checks a replay both ways).

The build is a copy beside the sources (`arena/_native/`), never in place: an extension module
next to its `.py` would shadow every later edit of it. `activate` (run when `arena` is first
imported) puts the compiled modules in front of the sources only if the build's manifest holds
the hash of every source it was compiled from, and of every arena module those import (compiled
code checks the types that come back from them), and each still matches: all or none (compiled
modules call each other directly, so they cannot be mixed with their sources); otherwise the
sources run, and `status()` says why. `ARENA_NATIVE=0` keeps to the sources; `ARENA_NATIVE_DIR`
puts the build elsewhere.

    arena native           build (or rebuild) the compiled modules (`arena.native_build`)
    arena native --check   say whether they are in use, and why not
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

# the modules a round runs through (a replay's loading, and a batch's rows); each compiled from arena/<path>.py
NATIVE_MODULES: tuple[str, ...] = (
    "arena.domain.values",
    "arena.domain.market",
    "arena.domain.account",
    "arena.domain.orders",
    "arena.domain.events",
    "arena.engine.stats",
    "arena.engine.risk",
    "arena.engine.matching",
    "arena.engine.competition",
    "arena.agents.indicators",
    "arena.agents.rounds",
    "arena.agents.base",
    "arena.agents.sizing",
    "arena.agents.momentum",
    "arena.agents.mean_reversion",
    "arena.agents.balanced",
    "arena.agents.buy_and_hold",
    "arena.agents.random_control",
    "arena.feeds.formats",
    "arena.feeds.changes",
    "arena.feeds.loader",
    "arena.feeds.replay",
    "arena.store.micros",
    "arena.store.event_rows",
    "arena.store.plan",
)
GROUP = "arena_native"  # the shared library holding every compiled module: arena_native__mypyc
PACKAGE_DIR = Path(__file__).resolve().parent
OFF_ENV = "ARENA_NATIVE"  # 0: keep to the sources
DIR_ENV = "ARENA_NATIVE_DIR"  # the build's folder, if not arena/_native
BUILD_DIR = Path(os.environ.get(DIR_ENV) or PACKAGE_DIR / "_native")
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class NativeStatus:
    active: bool
    detail: str  # what runs: "mypyc 2.4.1, 25 modules", or why the sources run

    def describe(self) -> str:
        return f"{'compiled' if self.active else 'pure-Python'} round ({self.detail})"


_status: NativeStatus | None = None


def status() -> NativeStatus:
    """Whether the compiled modules are in use (see `activate`)."""
    return _status if _status is not None else NativeStatus(False, "not activated")


def source_path(module: str, root: Path = PACKAGE_DIR.parent) -> Path:
    """A module's source: arena/x/y.py, or arena/x/y/__init__.py for a package."""
    path = root.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _current_hash(module: str) -> str | None:
    path = source_path(module)
    return source_hash(path) if path.exists() else None


def imported_modules(modules: Sequence[str], root: Path = PACKAGE_DIR.parent) -> list[str]:
    """Every arena module (packages too) that `modules` import, directly or through one another,
    read from their sources (`import arena.x`, `from arena.x import y`, `from arena import x`)."""
    import ast  # only a build needs it

    seen: set[str] = set()
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # the packages it lies in
        path = source_path(name, root)
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names if alias.name.split(".")[0] == "arena")
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "arena":
                todo.append(node.module)
                for alias in node.names:  # `from arena.x import y`: y may be a module of its own
                    if source_path(f"{node.module}.{alias.name}", root).exists():
                        todo.append(f"{node.module}.{alias.name}")
    return sorted(seen - set(modules))


def abi() -> str:
    return f"{sys.implementation.cache_tag}-{sys.platform}"


class _CompiledModules:
    """Finds the compiled modules (and their shared library) in the build, before any other finder
    (a meta path finder: `find_spec` is all it takes; `importlib.abc` alone costs ~14 ms to import)."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def inspect_build() -> tuple[str | None, dict[str, Any] | None]:
    """Why the build in `BUILD_DIR` cannot be used (None: it is a build of the current sources), and its manifest."""
    manifest_file = BUILD_DIR / MANIFEST
    if not manifest_file.exists():
        return "not built (arena native)", None
    try:
        manifest: dict[str, Any] = json.loads(manifest_file.read_text())
        if manifest["abi"] != abi():
            return f"built for {manifest['abi']}, not {abi()} (rebuild: arena native)", None
        modules: dict[str, str] = manifest["modules"]
        if set(modules) != set(NATIVE_MODULES):
            return "built for another list of modules (rebuild: arena native)", None
        sources = {**modules, **manifest["imports"]}
        stale = [name for name, digest in sources.items() if _current_hash(name) != digest]
        if stale:
            return f"out of date ({', '.join(sorted(stale))} changed; rebuild: arena native)", None
        missing = [relative for relative in manifest["files"].values() if not (BUILD_DIR / relative).exists()]
        if missing:
            return f"incomplete build (no {BUILD_DIR / missing[0]})", None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable build ({type(exc).__name__}: {exc})", None
    return None, manifest


def activate() -> NativeStatus:
    """Use the compiled modules when a build of the current sources exists (once per process)."""
    global _status
    if _status is None:
        _status = _activate()
    return _status


def _activate() -> NativeStatus:
    if os.environ.get(OFF_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return NativeStatus(False, f"{OFF_ENV}=0")
    problem, manifest = inspect_build()
    if problem is not None:
        return NativeStatus(False, problem)
    assert manifest is not None
    already = [name for name in NATIVE_MODULES if name in sys.modules]
    if already:
        return NativeStatus(False, f"{already[0]} was imported before the compiled modules could be used")
    files = {name: BUILD_DIR / relative for name, relative in manifest["files"].items()}
    sys.meta_path.insert(0, _CompiledModules(files))
    return NativeStatus(True, f"mypyc {manifest.get('mypyc', '?')}, {len(manifest['modules'])} modules")
