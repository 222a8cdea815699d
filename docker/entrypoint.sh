#!/usr/bin/env bash
# Entrypoint of the jamstat image (every Airflow service in docker-compose.yml).
#   entrypoint.sh init                  one-shot set-up (the airflow-init service), see init() below
#   entrypoint.sh <airflow sub-command> e.g. `api-server`, `scheduler`, `celery worker -q default`
#   entrypoint.sh <any program> ...     e.g. `bash`, `python -m jamstat.serve.postgres publish`
# Secrets come only from the environment or from files the init service generated in $JAMSTAT_SECRETS_DIR.
set -euo pipefail

SECRETS_DIR="${JAMSTAT_SECRETS_DIR:-/opt/airflow/secrets}"
FERNET_FILE="${SECRETS_DIR}/fernet_key"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-${SECRETS_DIR}/simple_auth_manager_passwords.json}"

die() { echo "jamstat entrypoint: $*" >&2; exit 1; }

load_fernet_key() {
  # An explicit AIRFLOW_FERNET_KEY (needed when services run on several machines) wins; else the generated one.
  if [[ -z "${AIRFLOW__CORE__FERNET_KEY:-}" ]]; then
    unset AIRFLOW__CORE__FERNET_KEY
    if [[ -s "${FERNET_FILE}" ]]; then
      AIRFLOW__CORE__FERNET_KEY="$(<"${FERNET_FILE}")"
      export AIRFLOW__CORE__FERNET_KEY
    else
      die "no Fernet key: set AIRFLOW_FERNET_KEY in .env, or let the airflow-init service generate ${FERNET_FILE} first"
    fi
  fi
}

check_admin_password() {
  local pw="${AIRFLOW_ADMIN_PASSWORD:-}"
  [[ -n "${pw}" ]] || die "AIRFLOW_ADMIN_PASSWORD is not set (put it in .env)"
  case "${pw,,}" in
    admin|airflow|password|changeme|change-me|secret) die "AIRFLOW_ADMIN_PASSWORD is a well-known default; choose another" ;;
  esac
  (( ${#pw} >= 12 )) || die "AIRFLOW_ADMIN_PASSWORD must have at least 12 characters"
}

init() {
  umask 077
  mkdir -p "${SECRETS_DIR}"
  if [[ -z "${AIRFLOW__CORE__FERNET_KEY:-}" && ! -s "${FERNET_FILE}" ]]; then
    python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > "${FERNET_FILE}.tmp"
    mv "${FERNET_FILE}.tmp" "${FERNET_FILE}"
    echo "==> generated a Fernet key in ${FERNET_FILE} (volume airflow-secrets); back it up, or set AIRFLOW_FERNET_KEY"
  fi
  load_fernet_key
  check_admin_password
  # SimpleAuthManager keeps its users' passwords in this file; write the admin's from the environment.
  python - <<'PY'
import json, os
path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
user = os.environ.get("AIRFLOW_ADMIN_USER", "admin")
tmp = path + ".tmp"
with open(tmp, "w") as fh:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, fh)
os.replace(tmp, path)
print(f"==> Airflow user {user!r} (admin) password set from AIRFLOW_ADMIN_PASSWORD")
PY
  echo "==> airflow db migrate"
  airflow db migrate
  python -m jamstat.orchestration.airflow_pools
  mkdir -p "${JAMSTAT_DATA_DIR:-/opt/jamstat/data}" "${JAMSTAT_WAREHOUSE_DIR:-/opt/jamstat/warehouse}"
  echo "==> jamstat init done"
}

case "${1:-}" in
  init)
    init ;;
  api-server|scheduler|dag-processor|triggerer|celery|db|pools|dags|tasks|jobs|config|version|info|users|connections|variables)
    load_fernet_key
    exec airflow "$@" ;;
  "")
    die "no command given" ;;
  *)
    load_fernet_key
    exec "$@" ;;
esac
