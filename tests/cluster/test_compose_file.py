"""compose.yaml as Docker Compose reads it (the daemon is not on every machine; the file is): the
default stays one service; the scale profile has every piece, each with a healthcheck, sharing one
database, one broker and one operator token."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_the_default_is_the_one_service_on_sqlite() -> None:
    default = [name for name, service in SERVICES.items() if not service.get("profiles")]
    assert default == ["app"]
    assert "ARENA_DB" not in SERVICES["app"].get("environment", {})  # the embedded SQLite default


def test_the_scale_profile_runs_engines_replicas_and_a_balancer_with_healthchecks() -> None:
    scale = {name for name, service in SERVICES.items() if "scale" in service.get("profiles", ())}
    assert scale == {"postgres", "redis", "engine-1", "engine-2", "api-1", "api-2", "lb"}
    assert all("healthcheck" in SERVICES[name] for name in scale)
    roles = {
        name: SERVICES[name]["command"][SERVICES[name]["command"].index("--role") + 1]
        for name in scale
        if name[:3] in ("eng", "api")
    }
    assert roles == {"engine-1": "engine", "engine-2": "engine", "api-1": "api", "api-2": "api"}
    environments = [SERVICES[name]["environment"] for name in roles]
    for key in ("ARENA_DB", "ARENA_BROKER", "ARENA_OPERATOR_TOKEN"):
        assert len({env[key] for env in environments}) == 1, f"one {key} for all"
    assert environments[0]["ARENA_DB"].startswith("postgresql+asyncpg://")
    assert set(SERVICES["lb"]["depends_on"]) == {"api-1", "api-2"}


def test_the_balancer_passes_websockets_to_both_replicas() -> None:
    conf = COMPOSE["configs"]["nginx"]["content"]
    assert "server api-1:8000" in conf and "server api-2:8000" in conf
    assert "proxy_set_header Upgrade $$http_upgrade;" in conf and "proxy_http_version 1.1;" in conf
