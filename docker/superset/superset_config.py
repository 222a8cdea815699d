"""Superset configuration for the jamstat `bi` profile. Every secret comes from the environment."""
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]  # start.sh refuses to start without it
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URI", "sqlite:////app/superset_home/superset.db")
# jamstat data are read-only for BI: no CSV/Excel uploads into any database, no DML from SQL Lab.
CSV_EXTENSIONS: set[str] = set()
EXCEL_EXTENSIONS: set[str] = set()
COLUMNAR_EXTENSIONS: set[str] = set()
SQLLAB_CTAS_NO_LIMIT = False
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": False}
# Behind a reverse proxy, set SUPERSET_PROXY_FIX=1.
ENABLE_PROXY_FIX = os.environ.get("SUPERSET_PROXY_FIX") == "1"
