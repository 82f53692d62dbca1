"""Building the compiled round (`arena native`): mypyc over `arena.native.NATIVE_MODULES`, into `BUILD_DIR`."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from arena.native import (
    BUILD_DIR,
    GROUP,
    MANIFEST,
    NATIVE_MODULES,
    OFF_ENV,
    PACKAGE_DIR,
    abi,
    imported_modules,
    source_hash,
    source_path,
)


class BuildError(RuntimeError):
    """The compiled modules could not be built (the sources still run)."""


_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
paths = sys.argv[1].split(",")
setup(
    name="arena-native",
    ext_modules=mypycify(paths, group_name={group!r}, multi_file=True, target_dir=sys.argv[4]),
    script_args=["build_ext", "--build-lib", sys.argv[2], "--build-temp", sys.argv[3], "--parallel", "2"],
)
"""


def build(*, quiet: bool = False) -> Path:
    """Compile `NATIVE_MODULES` into `BUILD_DIR` (replacing any build there); returns the manifest.

    The sources' hashes are taken before compiling: a source edited during the build makes the
    build out of date at once rather than wrongly current."""
    try:
        from mypy.version import __version__ as mypyc_version
    except ImportError:
        raise BuildError("mypyc comes with mypy: pip install -e '.[dev]' (or '.[native]')") from None
    root = PACKAGE_DIR.parent
    for folder in (BUILD_DIR, BUILD_DIR.with_name(BUILD_DIR.name + ".new")):
        if not _replaceable(folder):
            raise BuildError(f"{folder} holds something other than a build: not replacing it (ARENA_NATIVE_DIR?)")
    hashes = {name: source_hash(source_path(name, root)) for name in NATIVE_MODULES}
    imports = {name: source_hash(source_path(name, root)) for name in imported_modules(NATIVE_MODULES, root)}
    relative_sources = [str(source_path(name, root).relative_to(root)) for name in NATIVE_MODULES]
    with tempfile.TemporaryDirectory(prefix="arena-native-") as scratch:
        lib, temp = Path(scratch, "lib"), Path(scratch, "temp")
        command = [
            sys.executable,
            "-c",
            _SETUP.format(group=GROUP),
            ",".join(relative_sources),
            str(lib),
            str(temp),
            str(Path(scratch, "c")),
        ]
        env = {**os.environ, OFF_ENV: "0", "MYPY_FORCE_COLOR": "0"}
        # mypyc type-checks with mypy: in a scratch cache, never the project's
        env["MYPY_CACHE_DIR"] = str(Path(scratch, "mypy-cache"))
        result = subprocess.run(command, cwd=root, env=env, capture_output=quiet, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stdout or "") + (result.stderr or "") if quiet else ""
            raise BuildError(f"mypyc failed (exit {result.returncode}){': ' + detail[-4000:] if detail else ''}")
        files = {name: _built_file(lib, name) for name in (*NATIVE_MODULES, f"{GROUP}__mypyc")}
        staging = BUILD_DIR.with_name(BUILD_DIR.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for file in files.values():
            target = staging / file.relative_to(lib)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
    manifest = {
        "abi": abi(),
        "mypyc": mypyc_version,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "modules": hashes,
        "imports": imports,
        "files": {name: str(file.relative_to(lib)) for name, file in files.items()},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    staging.rename(BUILD_DIR)
    return BUILD_DIR / MANIFEST


def compiler() -> str | None:
    """The C compiler this Python builds extensions with, if this machine has it."""
    command = str(sysconfig.get_config_var("CC") or "cc").split()
    return shutil.which(command[0]) if command else None


def _replaceable(folder: Path) -> bool:
    """A folder a build may replace: none, an empty one, or an earlier build (with its manifest)."""
    if not folder.exists():
        return True
    return folder.is_dir() and (not any(folder.iterdir()) or (folder / MANIFEST).is_file())


def _built_file(lib: Path, module: str) -> Path:
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    folder = lib.joinpath(*module.split(".")[:-1])
    leaf = module.split(".")[-1]
    for suffix in suffixes:
        candidate = folder / (leaf + suffix)
        if candidate.exists():
            return candidate
    raise BuildError(f"mypyc built no extension for {module} in {folder}")
