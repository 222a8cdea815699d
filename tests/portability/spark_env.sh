#!/usr/bin/env bash
# Create (or refresh) the dbt-spark session-mode virtualenv from tests/portability/requirements-spark.lock.
#
#   tests/portability/spark_env.sh            # -> .venv-spark (or $JAMSTAT_SPARK_VENV)
#   tests/portability/spark_env.sh --lock     # re-resolve requirements-spark.in into the lock (needs PyPI)
#
# pyspark brings Spark's jars (~450 MB); in its own venv the main .venv stays small and dbt-spark never shares a
# resolver with Airflow. uv writes .venv-spark/.gitignore ('*'), so git never sees the venv. A stamp file
# (the lock's sha256) makes a second call a no-op. Needs Java 17 (Debian openjdk-17-jre-headless) at run time.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${JAMSTAT_SPARK_VENV:-$REPO/.venv-spark}"
LOCK="$HERE/requirements-spark.lock"
UV="${UV:-$REPO/.venv/bin/uv}"
[[ -x "$UV" ]] || UV="$(command -v uv || true)"
[[ -n "$UV" ]] || { echo "uv not found: run 'make install' first (it puts uv into .venv)" >&2; exit 1; }
PY="${JAMSTAT_SPARK_PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
export DO_NOT_TRACK=1

if [[ "${1:-}" == "--lock" ]]; then
  "$UV" pip compile -q -p 3.11 --exclude-newer 2026-11-26T00:00:00Z "$HERE/requirements-spark.in" -o "$LOCK"
  echo "wrote $LOCK"
  exit 0
fi

stamp="$VENV/.lock-sha256"
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/dbt" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$VENV is up to date with $(basename "$LOCK")"
  exit 0
fi
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "dbt-spark venv needs Python 3.11")'
start=$SECONDS
echo "==> creating $VENV from $(basename "$LOCK") (~25 s with a cold download cache, ~560 MB)"
rm -rf "$VENV"
"$UV" venv -q -p "$PY" "$VENV"
"$UV" pip sync -q -p "$VENV/bin/python" "$LOCK"
echo "$want" > "$stamp"
echo "==> $VENV ready in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))"
if ! command -v java >/dev/null 2>&1 && [[ ! -x "${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java" ]]; then
  echo "WARNING: no Java found; Spark needs Java 17: apt-get install -y openjdk-17-jre-headless" >&2
fi
