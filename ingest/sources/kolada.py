"""Kolada v3 client (https://api.kolada.se/v3) and normaliser.

Endpoints used: `/kpi/{ids}`, `/municipality`, `/data/kpi/{kpi}/year/{years}` and
`/data/kpi/{kpi}/municipality/{ids}/year/{years}`; every id list (KPIs, areas, years) is one path segment of
≤25 ids. Always `per_page=5000`; `next_url` is followed on the same host only, for a bounded number of pages, and
paging stops when `next_url` is missing/empty/null or a page has no `values`. A data path answering 404 is a
period without data (Kolada may answer 404 instead of an empty list), not a failure.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd
import pyarrow as pa

from ingest.http import ClientError, Fetched, HttpClient, HttpError, SchemaDrift
from ingest.sources import rows_to_frame

log = logging.getLogger(__name__)

PER_PAGE = 5000
MAX_IDS_PER_SEGMENT = 25
MAX_PAGES = 200
SEXES = ("K", "M", "T")


class KpiTitleMismatch(RuntimeError):
    """The live KPI title differs from the catalog's kolada_title: the id may have been reused or renamed."""

    def __init__(self, kpi: str, expected: str, actual: str | None):
        self.kpi, self.expected, self.actual = kpi, expected, actual
        super().__init__(
            f"KPI {kpi}: live title {actual!r} does not match the catalog kolada_title {expected!r}. "
            "Not loaded. Check the KPI on kolada.se; if the change is legitimate, update kolada_title in "
            "dbt_project/seeds/indicator_catalog.csv."
        )


class PagingError(HttpError):
    """next_url points to another host, or paging did not end within the page bound."""


def chunks(items: list[str], size: int = MAX_IDS_PER_SEGMENT) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _require(obj: Any, key: str, where: str, url: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise SchemaDrift(f"Kolada {url}: field {key!r} missing in {where}; the v3 payload format changed — "
                          "update ingest/sources/kolada.py and the recordings.", url=url)
    return obj[key]


class KoladaClient:
    def __init__(self, http: HttpClient, base_url: str, *, per_page: int = PER_PAGE, max_pages: int = MAX_PAGES,
                 on_response=None):
        self.http = http
        self.base = base_url.rstrip("/")
        self.per_page = per_page
        self.max_pages = max_pages
        self.on_response = on_response  # callback(Fetched, dataset) → landing
        self.host = urlsplit(self.base).netloc

    # -- paging -----------------------------------------------------------------------------------------
    def _pages(self, path: str, params: dict | None, dataset: str) -> Iterator[tuple[Fetched, dict]]:
        url = f"{self.base}{path}"
        query = {"per_page": self.per_page, **(params or {})}
        for _page in range(1, self.max_pages + 1):
            fetched = self.http.get(url, params=query)
            if self.on_response:
                self.on_response(fetched, dataset)
            doc = fetched.json()
            if not isinstance(doc, dict):
                raise SchemaDrift(f"Kolada {fetched.url}: expected an object with 'values', got "
                                  f"{type(doc).__name__}", url=fetched.url)
            values = _require(doc, "values", "the response envelope", fetched.url)
            if not isinstance(values, list):
                raise SchemaDrift(f"Kolada {fetched.url}: 'values' is {type(values).__name__}, expected a list",
                                  url=fetched.url)
            yield fetched, doc
            nxt = doc.get("next_url")
            if not nxt or not values:
                return
            host = urlsplit(nxt).netloc
            if host and host != self.host:
                raise PagingError(f"Kolada {fetched.url}: next_url {nxt!r} points to host {host!r}, not "
                                  f"{self.host!r}; refusing to follow it.", url=fetched.url)
            url, query = (nxt if host else f"{urlsplit(self.base).scheme}://{self.host}{nxt}"), None
        raise PagingError(f"Kolada {self.base}{path}: more than {self.max_pages} pages; stopping (raise max_pages "
                          "if the source really is that large).", url=url)

    def _values(self, path: str, params: dict | None, dataset: str) -> list[dict]:
        out: list[dict] = []
        for _, doc in self._pages(path, params, dataset):
            out.extend(doc["values"])
        return out

    # -- metadata -----------------------------------------------------------------------------------------
    def kpi_metadata(self, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, dict] = {}
        for chunk in chunks(ids):
            for row in self._values(f"/kpi/{quote(','.join(chunk), safe=',')}", None, "kpi"):
                out[str(_require(row, "id", "a KPI", self.base))] = row
        return out

    def municipalities(self) -> list[dict]:
        return self._values("/municipality", None, "municipality")

    # -- data -----------------------------------------------------------------------------------------
    def _data_values(self, path: str, params: dict | None, dataset: str) -> list[dict]:
        try:
            return self._values(path, params, dataset)
        except ClientError as exc:
            if exc.status == 404:  # Kolada's answer for periods without data
                log.info("Kolada %s: 404, read as no data for these years", exc.url)
                return []
            raise

    def data_kpi_years(self, kpi: str, years: list[int], from_date: str | None = None) -> list[dict]:
        """Every area's values of one KPI for the given years: one request per ≤25 years."""
        params = {"from_date": from_date} if from_date else None
        out: list[dict] = []
        for ychunk in chunks([str(int(y)) for y in dict.fromkeys(years)]):
            out.extend(self._data_values(f"/data/kpi/{kpi}/year/{','.join(ychunk)}", params, f"data_{kpi}"))
        return out

    def data_kpi_municipality_years(self, kpi: str, municipalities: list[str], years: list[int],
                                    from_date: str | None = None) -> list[dict]:
        params = {"from_date": from_date} if from_date else None
        out: list[dict] = []
        for mchunk in chunks(list(dict.fromkeys(municipalities))):
            for ychunk in chunks([str(y) for y in dict.fromkeys(years)]):
                path = f"/data/kpi/{kpi}/municipality/{','.join(mchunk)}/year/{','.join(ychunk)}"
                out.extend(self._data_values(path, params, f"data_{kpi}"))
        return out


def check_title(kpi: str, expected: str, metadata: dict[str, dict]) -> dict:
    """Return the KPI's metadata row; raise KpiTitleMismatch if its title differs from the catalog."""
    row = metadata.get(kpi)
    actual = None if row is None else row.get("title")
    if actual is None or " ".join(str(actual).split()) != " ".join(expected.split()):
        raise KpiTitleMismatch(kpi, expected, actual)
    return row


def normalize_arrow(values: list[dict], url: str = "kolada payload") -> pa.Table:
    """Kolada v3 data `values` → observation rows as an Arrow table (without batch_id / fetched_at).

    Each item: {kpi, period, municipality, values:[{gender, value, status?, count?, isdeleted?}]}.
    `isdeleted` rows are kept with is_deleted=True (staging drops them after latest-wins); status '' → null;
    null value stays null; a value that is not a JSON number (a string, a boolean) is SchemaDrift naming the
    KPI; region ids stay as given. Arrow, not pandas: payloads are many and small, and a
    DataFrame per payload costs more than the parsing (bench: normalize_speedup_vs_pandas)."""
    kpis, areas, periods, sexes, vals, stats, deleted = [], [], [], [], [], [], []
    for i, item in enumerate(values):
        where = f"values[{i}]"
        kpi = str(_require(item, "kpi", where, url))
        period = str(_require(item, "period", where, url))
        area = str(_require(item, "municipality", where, url))
        inner = _require(item, "values", where, url)
        if not isinstance(inner, list):
            raise SchemaDrift(f"Kolada {url}: {where}.values is {type(inner).__name__}, expected a list", url=url)
        for j, cell in enumerate(inner):
            if "gender" not in cell or "value" not in cell:
                _require(cell, "gender", f"{where}.values[{j}]", url)
                _require(cell, "value", f"{where}.values[{j}]", url)
            gender = cell["gender"]
            if gender not in SEXES:
                raise SchemaDrift(f"Kolada {url}: unknown gender code(s) {[gender]}; expected K/M/T", url=url)
            value = cell["value"]
            if value is not None and (type(value) is not float):
                value = _number(value, kpi, f"{where}.values[{j}].value", url)
            kpis.append(kpi)
            areas.append(area)
            periods.append(period)
            sexes.append(gender)
            vals.append(value)
            status = cell.get("status")
            stats.append(status if status not in (None, "") else None)
            deleted.append(bool(cell.get("isdeleted", cell.get("is_deleted", False))))
    n = len(kpis)
    return pa.table({
        "source": pa.array(["kolada"] * n, pa.string()), "source_ref": pa.array(kpis, pa.string()),
        "area_code": pa.array(areas, pa.string()), "period": pa.array(periods, pa.string()),
        "sex": pa.array(sexes, pa.string()), "value": pa.array(vals, pa.float64()),
        "status": pa.array(stats, pa.string()), "dims": pa.array(["{}"] * n, pa.string()),
        "is_deleted": pa.array(deleted, pa.bool_()),
    })


def _number(value: Any, kpi: str, where: str, url: str) -> float:
    """A JSON number as float. Anything else (a string such as "12,5", a boolean) is schema drift: turning it
    into a number or a null here would publish a value the source never sent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    shown = repr(value) if len(repr(value)) <= 24 else repr(value)[:21] + "..."
    raise SchemaDrift(f"Kolada KPI {kpi}: {where} is {type(value).__name__} {shown}, expected a number or null "
                      f"({url}). Not loaded: the v3 value format changed; check the KPI on kolada.se and "
                      "ingest/sources/kolada.py before loading it.", url=url)


def normalize(values: list[dict], url: str = "kolada payload") -> pd.DataFrame:
    """`normalize_arrow` as a pandas DataFrame (CLI, tests)."""
    return rows_to_frame(normalize_arrow(values, url))


def unexpected_sexes(rows: pa.Table | pd.DataFrame, divided_by_gender: bool | None) -> list[str]:
    """Sex codes present that `is_divided_by_gender` says should not be there (T only when not divided)."""
    if divided_by_gender is None or len(rows) == 0:
        return []
    expected = set(SEXES) if divided_by_gender else {"T"}
    present = set(rows.column("sex").to_pylist()) if isinstance(rows, pa.Table) else set(rows["sex"])
    return sorted(present - expected)
