"""The reference GraphQL-over-HTTP audit (`auditServer` from the `graphql-http` npm package)
against a real server: every audit passes, with no warning. Needs Node.js: skipped with a message
where it is absent, except in CI (`ARENA_REQUIRE_AUDIT=1`, set by .ci/run), where that fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

AUDIT = Path(__file__).parent / "graphql_http_audit"


def node_or_skip() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "Node.js and npm are needed for the graphql-http audit (apt install nodejs npm)"
        if os.environ.get("ARENA_REQUIRE_AUDIT"):
            pytest.fail(message)
        pytest.skip(message)
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=AUDIT, check=True, timeout=300)
    return node


def test_the_graphql_http_audit_passes_without_a_warning(server) -> None:
    node = node_or_skip()
    done = subprocess.run(
        [node, str(AUDIT / "audit.mjs"), f"{server.url}/graphql"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["problems"] == [] and summary["ok"] >= 60, summary
