"""HTTP clients for PxWebApi 2.0 and v1, and fetching one query chunk (halved again when SCB says it is
too large).

How SCB says "too many cells": PxWebApi 2 answers HTTP 400 with a problem+json body titled "Too many cells
selected" (the reference server's ProblemUtility.TooManyCellsSelected() returns BadRequest; the spec's 403
is not what the server sends), and a v2 403 means the table is not offered through the API. v1 answers 403."""
from __future__ import annotations

import logging
from urllib.parse import quote

from ingest.http import ClientError, Fetched, HttpClient, HttpError, SchemaDrift, decode_json
from ingest.sources.scb.metadata import (
    V1_DEFAULTS,
    CellLimitError,
    TableMeta,
    TableNotOffered,
    parse_v1_metadata,
    parse_v2_metadata,
)
from ingest.sources.scb.selection import VarSel, cells, halve, v1_body, v2_body

log = logging.getLogger(__name__)

class ScbV2Client:
    api = "v2"

    def __init__(self, http: HttpClient, base_url: str, lang: str = "sv", on_response=None):
        self.http, self.base, self.lang, self.on_response = http, base_url.rstrip("/"), lang, on_response

    def _land(self, fetched: Fetched, dataset: str) -> Fetched:
        if self.on_response:
            self.on_response(fetched, dataset)
        return fetched

    def config(self) -> tuple[dict, Fetched]:
        """The server's limits (maxDataCells, maxCallsPerTimeWindow, timeWindow), read at run time."""
        f = self._land(self.http.get(f"{self.base}/config"), "config")
        doc = f.json()
        for key in ("maxDataCells", "maxCallsPerTimeWindow", "timeWindow"):
            if key not in doc:
                raise SchemaDrift(f"SCB v2 {f.url}: field {key!r} missing in /config", url=f.url)
        return doc, f

    def metadata(self, table: str) -> tuple[TableMeta, Fetched]:
        f = self._land(self.http.get(f"{self.base}/tables/{quote(table)}/metadata", params={"lang": self.lang}),
                       table)
        return parse_v2_metadata(f.json(), table, f.url), f

    def codelist_size(self, codelist: str) -> int | None:
        try:
            f = self.http.get(f"{self.base}/codelists/{quote(codelist)}", params={"lang": self.lang})
        except HttpError as exc:
            log.info("codelist %s not available (%s); using the variable size as upper bound", codelist, exc)
            return None
        self._land(f, "codelists")
        values = f.json().get("values")
        return len(values) if isinstance(values, list) else None

    def data(self, table: str, sels: list[VarSel]) -> Fetched:
        return self.http.post_json(f"{self.base}/tables/{quote(table)}/data", v2_body(sels),
                                   params={"lang": self.lang, "outputFormat": "json-stat2"})

    def limits(self, cfg: dict) -> tuple[int, float]:
        return int(cfg["maxDataCells"]), float(cfg["timeWindow"]) / max(int(cfg["maxCallsPerTimeWindow"]), 1)

    @staticmethod
    def is_cell_limit(exc: ClientError) -> bool:
        """HTTP 400 with a problem+json title (or detail) saying too many cells were selected."""
        if exc.status != 400:
            return False
        try:
            problem = decode_json(exc.body, exc.url)
        except HttpError:
            return False
        text = " ".join(str(problem.get(k, "")) for k in ("title", "detail")) if isinstance(problem, dict) else ""
        return "too many cells" in text.lower()


class ScbV1Client:
    api = "v1"

    def __init__(self, http: HttpClient, base_url: str, on_response=None):
        self.http, self.base, self.on_response = http, base_url.rstrip("/"), on_response

    def url(self, table: str) -> str:
        path = table.strip("/")
        if not path.startswith("START/"):
            path = "START/" + path
        return f"{self.base}/{quote(path)}"

    def metadata(self, table: str) -> tuple[TableMeta, Fetched]:
        f = self.http.get(self.url(table))
        if self.on_response:
            self.on_response(f, table.split("/")[-1])
        return parse_v1_metadata(f.json(), table, f.url), f

    def data(self, table: str, sels: list[VarSel]) -> Fetched:
        return self.http.post_json(self.url(table), v1_body(sels))

    def limits(self, cfg: dict | None = None) -> tuple[int, float]:
        cfg = cfg or V1_DEFAULTS
        return int(cfg["maxValues"]), float(cfg["timeWindow"]) / max(int(cfg["maxCalls"]), 1)

    @staticmethod
    def is_cell_limit(exc: ClientError) -> bool:
        return exc.status == 403


def fetch_chunk(client, table: str, sels: list[VarSel], order: list[str], depth: int = 0,
                max_depth: int = 12) -> list[Fetched]:
    """POST one chunk; when SCB says it has too many cells, split it in half and fetch both halves. Any other
    client error is raised at once (a v2 403 as TableNotOffered)."""
    try:
        return [client.data(table, sels)]
    except ClientError as exc:
        if not client.is_cell_limit(exc):
            if client.api == "v2" and exc.status == 403:
                raise TableNotOffered(f"{table}: SCB v2 answered 403: the table is not offered through the API "
                                      "(in v2 the cell limit is a 400, so this is not split or retried); use its "
                                      "v1 path or another table in the catalog", url=exc.url, status=403,
                                      body=exc.body) from exc
            raise
        halves = halve(sels, order) if depth < max_depth else None
        if not halves:
            raise CellLimitError(f"{table}: SCB answered HTTP {exc.status} (too many cells) and the query cannot "
                                 f"be split further ({cells(sels)} cells); narrow scb_selection", url=exc.url,
                                 status=exc.status) from exc
        log.warning("%s: too many cells (HTTP %s) for %d cells, splitting in two and retrying", table, exc.status,
                    cells(sels))
        return [f for h in halves for f in fetch_chunk(client, table, h, order, depth + 1, max_depth)]
