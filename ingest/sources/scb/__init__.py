"""SCB Statistikdatabasen (PxWeb) clients — PxWebApi 2.0 first, v1 kept — and the json-stat2 normaliser.

v2: `GET /config` (limits, read at run time), `GET /tables/{id}/metadata`, `GET /codelists/{id}`,
    `POST /tables/{id}/data?lang=sv&outputFormat=json-stat2` with `{"selection":[{"variableCode","valueCodes"
    [,"codelist"]}]}`.
v1: `GET <base>/START/<path>` (metadata), `POST` same URL with `{"query":[…],"response":{"format":"json-stat2"}}`.

Queries are split so every call asks for ≤ maxDataCells cells (by time first, then region); when SCB still
says "too many cells" (v2: 400 problem+json "Too many cells selected"; v1: 403) the query is halved and
retried; any other 4xx is final (a v2 403: the table is not offered through the API). Every variable that cannot be
eliminated gets an explicit selection. Sex codes `1`→M, `2`→K, `1+2`/`TotSa`→T; region codes stay as given.
"""
from ingest.catalog import LABEL_PREFIX
from ingest.sources.scb.clients import ScbV1Client, ScbV2Client, fetch_chunk
from ingest.sources.scb.metadata import (
                                          CONTENTS,
                                          REGION_VARS,
                                          SEX_MAP,
                                          SEX_VARS,
                                          V1_DEFAULTS,
                                          V2_DEFAULTS,
                                          CellLimitError,
                                          SchemaDrift,
                                          SelectionError,
                                          TableMeta,
                                          TableNotOffered,
                                          Variable,
                                          parse_v1_metadata,
                                          parse_v2_metadata,
)
from ingest.sources.scb.normalize import normalize_cube_arrow, normalize_payload, normalize_payload_arrow
from ingest.sources.scb.selection import (
                                          VarSel,
                                          cells,
                                          chunk_key,
                                          expand,
                                          halve,
                                          last_selected_period,
                                          match_labels,
                                          resolve_selection,
                                          restrict_time,
                                          split_order,
                                          split_selection,
                                          v1_body,
                                          v2_body,
)

__all__ = ["CONTENTS", "LABEL_PREFIX", "REGION_VARS", "SEX_MAP", "SEX_VARS", "V1_DEFAULTS", "V2_DEFAULTS",
           "CellLimitError", "SchemaDrift", "ScbV1Client", "ScbV2Client", "SelectionError", "TableMeta",
           "TableNotOffered", "VarSel", "Variable", "cells", "chunk_key", "expand", "fetch_chunk", "halve",
           "last_selected_period", "match_labels", "normalize_cube_arrow", "normalize_payload",
           "normalize_payload_arrow", "parse_v1_metadata", "parse_v2_metadata", "resolve_selection", "restrict_time",
           "split_order", "split_selection", "v1_body", "v2_body"]
