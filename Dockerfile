# jamstat image: Airflow 3 + dbt + DuckDB + the project, for every Airflow service in docker-compose.yml.
# Build: docker compose build   (or: docker build -t jamstat --build-arg GIT_COMMIT=$(git rev-parse HEAD) .)
# No secrets are baked in: every credential comes from the environment at run time (see .env.example).
FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9
ARG JAMSTAT_UID=50000
ARG GIT_COMMIT=""

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    HOME=/home/jamstat \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/jamstat/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PYTHONPATH=/opt/jamstat \
    JAMSTAT_DATA_DIR=/opt/jamstat/data \
    JAMSTAT_WAREHOUSE_DIR=/opt/jamstat/warehouse \
    JAMSTAT_GIT_COMMIT=${GIT_COMMIT} \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1 \
    SODA_CORE_TELEMETRY_ENABLED=false \
    GX_ANALYTICS_ENABLED=false

# Dependencies first (cached layer): exactly the pinned set in requirements.lock, installed with uv.
RUN pip install "uv==${UV_VERSION}"
COPY requirements.lock /tmp/requirements.lock
RUN uv pip sync --system /tmp/requirements.lock && rm /tmp/requirements.lock

# Non-root runtime user (group 0, as in the official Airflow image, so an arbitrary UID with GID 0 works).
RUN useradd --uid "${JAMSTAT_UID}" --gid 0 --create-home --home-dir /home/jamstat --shell /bin/bash jamstat

WORKDIR /opt/jamstat
COPY . /opt/jamstat
RUN uv pip install --system --no-deps -e /opt/jamstat \
 && chmod 0755 /opt/jamstat/docker/entrypoint.sh \
 && mkdir -p /opt/airflow/logs /opt/airflow/secrets /opt/jamstat/data /opt/jamstat/warehouse \
 && chown -R jamstat:0 /opt/airflow /opt/jamstat/data /opt/jamstat/warehouse /opt/jamstat/dbt_project \
 && chmod -R g+rwX /opt/airflow /opt/jamstat/data /opt/jamstat/warehouse /opt/jamstat/dbt_project \
 && chmod 0700 /opt/airflow/secrets

USER jamstat
ENTRYPOINT ["/opt/jamstat/docker/entrypoint.sh"]
CMD ["airflow", "version"]
