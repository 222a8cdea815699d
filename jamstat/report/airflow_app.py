"""The current follow-up report inside the Airflow UI: a FastAPI app that the Airflow 3 plugin in plugins/ mounts
on the API server, and the external view that puts it in the navigation.

Plugin endpoints are not behind Airflow's authentication by default, so every request here must carry a valid
Airflow session: the JWT the UI keeps in its `_token` cookie (sent by the browser, also inside the UI's iframe)
or an `Authorization: Bearer` token from POST /auth/token. Anonymous requests get 401 and a link to log in."""
from __future__ import annotations

import html
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from jamstat.settings import Settings

URL_PREFIX = "/jamstat-report"
EXTERNAL_VIEW = {"name": "Report", "href": "jamstat-report/index.html", "url_route": "jamstat-report",
                 "destination": "nav", "icon": None}
LOGIN_PAGE = ("<!doctype html><html lang='sv'><meta charset='utf-8'><title>Logga in</title>"
              "<p>Rapporten visas bara för inloggade. <a href='/auth/login/?next=/jamstat-report/index.html'>"
              "Logga in i Airflow</a> (log in to Airflow to see the report).</p></html>")


async def logged_in(request: Request):
    """Airflow's own check: a valid JWT from the bearer header or the UI's session cookie, else 401/403."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.core_api.security import resolve_user_from_token

    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    return await resolve_user_from_token(token)


def report_file(root: Path, path: str) -> Path:
    """The file under report/current for a URL path; never anything outside it."""
    current = (root / "current").resolve()
    target = (current / (path or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(current) or not target.is_file():
        raise HTTPException(status_code=404, detail=f"{path!r} is not in the current report")
    return target


def create_app() -> FastAPI:
    app = FastAPI(title="jamstat follow-up report", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(HTTPException)
    async def explain(_request: Request, exc: HTTPException):
        if exc.status_code in (401, 403):
            return HTMLResponse(LOGIN_PAGE, status_code=exc.status_code)
        detail = html.escape(str(exc.detail))
        return HTMLResponse(f"<!doctype html><p>{detail}. Render the report with <code>make report</code> "
                            "(or a `make run`).</p>", status_code=exc.status_code)

    @app.get("/{path:path}", dependencies=[Depends(logged_in)])
    def serve(path: str) -> FileResponse:
        settings = Settings.from_env()
        return FileResponse(report_file(settings.report_dir, path), headers={"Cache-Control": "no-cache"})

    return app
