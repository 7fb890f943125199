"""deploy/ stays consistent with the repository (no Docker engine here to build it)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_compose_has_the_app_postgres_and_a_tls_proxy() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "db", "proxy"}

    app = services["app"]
    context = (DEPLOY / app["build"]["context"]).resolve()
    assert context == REPO and (context / app["build"]["dockerfile"]).is_file()
    assert "ports" not in app  # reachable through the proxy only
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "@db:5432/" in app["environment"]["SURVEYBOT_DATABASE_URL"]

    db = services["db"]
    assert db["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])

    proxy = services["proxy"]
    published = {str(p).split(":")[0] for p in proxy["ports"]}
    assert {"80", "443"} <= published
    mounts = [v.split(":")[0] for v in proxy["volumes"]]
    assert any((DEPLOY / m).is_file() for m in mounts if m.startswith("./"))


def test_caddy_proxies_to_the_app_and_hides_metrics() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "{$SURVEYBOT_DOMAIN}" in caddyfile
    assert re.search(r"@internal path /metrics", caddyfile)
    assert re.search(r"name app\s+port 8000", caddyfile)


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    text = _dockerfile()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 3  # uv, build, runtime
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and not users[-1].startswith(("root", "0"))
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)
    cmd = re.search(r"^CMD (.+)$", text, re.MULTILINE)
    assert cmd is not None
    assert "surveybot serve --host 0.0.0.0" in cmd.group(1) and "--workers" in cmd.group(1)
    assert "uv sync --frozen --no-dev" in text


def test_dockerfile_copies_what_the_package_needs() -> None:
    copied: set[str] = set()
    for line in re.findall(r"^COPY (?!--from)(.+)$", _dockerfile(), re.MULTILINE):
        *sources, _dest = shlex.split(line)
        copied.update(s.rstrip("/") for s in sources if not s.startswith("--"))
    for source in copied:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert set(packages) <= copied, "a package of the wheel is not copied into the image"
    assert {"pyproject.toml", "uv.lock", pyproject["project"]["readme"]} <= copied


def test_systemd_unit_runs_serve() -> None:
    unit = (DEPLOY / "surveybot.service").read_text(encoding="utf-8")
    sections = re.findall(r"^\[(\w+)\]$", unit, re.MULTILINE)
    assert sections == ["Unit", "Service", "Install"]
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert exec_start is not None and " serve " in exec_start.group(1)
    assert re.search(r"^User=(?!root)\w+", unit, re.MULTILINE)
