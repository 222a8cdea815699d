"""The official PxWebApi 2.0 OpenAPI spec (ingest/reference/pxwebapi-2/PxAPI-2.yml, copied unchanged) as a
validator for the requests the SCB v2 client builds and the v2 replies the replay server serves.

Where the live SCB server and the spec disagree, the spec is corrected in memory here, each correction named
with its evidence (LIVE_DEVIATIONS); everything else is checked as the spec says. The status codes are not
taken from the spec (it lists 403 for "too many cells"; the server answers 400, see the spec's source note)."""
from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import yaml
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from jamstat.settings import REPO_ROOT

SPEC_PATH = REPO_ROOT / "ingest" / "reference" / "pxwebapi-2" / "PxAPI-2.yml"
SERVER = "https://statistikdatabasen.scb.se/api/v2"
DATE_TIME = "^((19|20)\\d\\d)\\-(0?[1-9]|1[012])\\-(0?[1-9]|[12][0-9]|3[01])(T[0-9:.]+(Z|[+-][0-9:]+)?)?$"

LIVE_DEVIATIONS = {
    # The schema requires a property 'values' it does not define; its property is 'valueCodes'. The reference
    # server's model (PxTools/PxApiSpecs src/PxWeb.Api2.Server.Models/VariableSelection.cs) requires only
    # variableCode and binds valueCodes, and every recorded request SCB answered (atlas290, pxwebpy) sends
    # valueCodes. jamstat always names its codes, so valueCodes is required here.
    "VariableSelection.required": ["variableCode", "valueCodes"],
    # SCB's 'updated' is a date-time ("2026-02-24T07:00:00Z" in every recorded reply; the spec itself says "date
    # and time" and format date-time for a table), which JSON-stat allows (ISO 8601); the spec's pattern admits
    # a bare date only.
    "updated.pattern": DATE_TIME,
    "Table.updated.pattern": DATE_TIME,
}


def _patched_spec() -> dict:
    doc = yaml.safe_load(SPEC_PATH.read_text("utf-8"))
    schemas = doc["components"]["schemas"]
    schemas["VariableSelection"]["required"] = LIVE_DEVIATIONS["VariableSelection.required"]
    schemas["updated"]["pattern"] = LIVE_DEVIATIONS["updated.pattern"]
    schemas["Table"]["properties"]["updated"]["pattern"] = LIVE_DEVIATIONS["Table.updated.pattern"]
    return doc


@cache
def spec_doc(live: bool = True) -> dict:
    """The spec, with LIVE_DEVIATIONS applied unless live=False."""
    return _patched_spec() if live else yaml.safe_load(SPEC_PATH.read_text("utf-8"))


@cache
def api(live: bool = True) -> OpenAPI:
    # The spec's example $refs point to files outside it (./examplesAsYml/…); examples are not validated.
    return OpenAPI(SchemaPath.from_dict(copy.deepcopy(spec_doc(live)), base_uri=SPEC_PATH.as_uri()))


def request_errors(method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
                   live: bool = True) -> list[str]:
    """Spec violations of one request (path relative to the v2 base, e.g. '/tables/TAB638/data')."""
    req = MockRequest(SERVER, method.lower(), path, args=dict(query or {}),
                      data=json.dumps(body, ensure_ascii=False) if body is not None else None,
                      content_type="application/json")
    result = api(live).unmarshal_request(req)
    return [_describe(e) for e in result.errors]


def response_errors(path: str, body: Any, query: dict[str, str] | None = None, live: bool = True) -> list[str]:
    """Spec violations of one 200 reply to a GET of `path`. Data replies are checked against the JSON-stat
    Dataset schema the spec defines (the spec declares the data endpoint's JSON as a plain string)."""
    if path.endswith("/data"):
        doc = spec_doc(live)
        validator = OAS30Validator({**doc["components"]["schemas"]["Dataset"], "components": doc["components"]})
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(body)]
    req = MockRequest(SERVER, "get", path, args=dict(query or {}))
    resp = MockResponse(json.dumps(body, ensure_ascii=False).encode("utf-8"), status_code=200,
                        content_type="application/json")
    result = api(live).unmarshal_response(req, resp)
    return [_describe(e) for e in result.errors]


def _describe(exc: Exception) -> str:
    cause = exc.__cause__
    inner = getattr(cause, "schema_errors", None) or ([cause] if cause else [])
    details = "; ".join(f"{'/'.join(map(str, getattr(e, 'path', [])))}: {getattr(e, 'message', e)}"[:200]
                        for e in inner) or str(exc)
    return f"{type(exc).__name__}: {details}"
