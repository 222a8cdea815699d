"""Units for Airflow: plans from the catalog, mode resolution, file drops, the tasks.py wiring."""
from __future__ import annotations

import dataclasses
import json

import pyarrow.parquet as pq
import pytest

from ingest import file_drop, kolada_kpi, modes, scb_spec
from ingest.catalog import has_scb_spec, ingestibility, kolada_kpis, load_catalog
from ingest.sources.files import FileDropError


def test_plan_kolada_is_the_catalog(settings):
    plan = kolada_kpi.plan_kolada(settings)
    cat = load_catalog(settings.catalog_path)
    breakdown_kpis = {k for i in cat if i.source == "kolada" for k in json.loads(i.get("kolada_breakdown_titles") or "{}")}
    assert plan == kolada_kpis(cat)
    assert len(plan) == len({i.source_ref for i in cat if i.source == "kolada"} | breakdown_kpis)
    assert "N00945" in plan and "N21704" in plan
    # the paired KPIs of a breakdown are fetched too: the foreign-born and Swedish-born employment rates
    assert {"N02267", "N02268", "N02269"} <= set(plan)


def test_plan_scb_only_ingestible_rows(settings):
    plan = scb_spec.plan_scb(settings)
    cat = load_catalog(settings.catalog_path)
    assert {"population_by_sex_age", "median_earned_income_16plus_scb"} <= set(plan)
    assert set(plan) == {i.indicator_id for i in cat if has_scb_spec(i)}
    assert {i.indicator_id for i in cat if i.source == "scb" and ingestibility(i)[0]} <= set(plan)
    for ind in cat:
        if ind.source == "scb" and ind.indicator_id not in plan:
            ok, reason = ingestibility(ind)
            assert not ok and reason.startswith("SCB")


def test_resolve_mode_explicit_and_auto_offline(settings, monkeypatch):
    assert modes.resolve_mode(settings) == "replay"
    assert modes.resolve_mode(dataclasses.replace(settings, mode="live")) == "live"
    import requests

    def boom(*a, **k):
        raise requests.ConnectionError("offline (test)")

    monkeypatch.setattr(requests, "get", boom)
    assert modes.resolve_mode(dataclasses.replace(settings, mode="auto"), timeout=0.1) == "replay"


def test_kolada_years_env(monkeypatch):
    monkeypatch.setenv("JAMSTAT_KOLADA_YEARS", "2019-2021,2023")
    assert kolada_kpi.kolada_years() == [2019, 2020, 2021, 2023]


SCB_CSV = ("\ufeff\"region\",\"kön\",\"2022\",\"2023\"\n"
           "\"0180 Stockholm\",\"män\",\"100,5\",\"..\"\n"
           "\"0180 Stockholm\",\"kvinnor\",\"90\",\"91,25\"\n"
           "\"00 Riket\",\"totalt\",\"1000\",\"1001\"\n")   # SYNTHETIC, shaped like an SCB CSV export


def test_file_drop_csv_wide(settings):
    landing = file_drop.landing_dir(settings)
    landing.mkdir(parents=True)
    (landing / "vab.csv").write_text(SCB_CSV, encoding="utf-8")
    (landing / "vab.mapping.yaml").write_text(
        "file: vab.csv\nindicator_id: vab_fk_open_data\ncolumns: {area: region, sex: kön}\nwide_periods: true\n",
        encoding="utf-8")
    assert file_drop.plan_file_drops(settings) == ["vab.mapping.yaml"]
    s = file_drop.ingest_file_drop("vab.mapping.yaml", mode="replay", base_urls={}, run_id="r", settings=settings)
    assert s["status"] == "loaded" and s["rows"] == 6 and s["snapshot"] == "full"
    df = pq.read_table(settings.batches_dir / "file" / f"{s['batch_id']}.parquet").to_pandas()
    assert set(df.source) == {"file"} and set(df.source_ref) == {"vab_fk_open_data"}
    m = df[(df.sex == "M") & (df.period == "2022")]
    assert m.area_code.item() == "0180" and m.value.item() == 100.5
    sup = df[(df.sex == "M") & (df.period == "2023")]
    assert sup.value.isna().item() and sup.status.item() == ".."
    assert df[(df.area_code == "00")].sex.unique().tolist() == ["T"]
    again = file_drop.ingest_file_drop("vab.mapping.yaml", mode="replay", base_urls={}, run_id="r2", settings=settings)
    assert again["status"] == "unchanged"
    manifest = json.loads((settings.batches_dir / "file" / f"{s['batch_id']}.json").read_text())
    assert manifest["responses"][0]["method"] == "FILE" and "indicator_id=vab_fk_open_data" in manifest["notes"]
    assert manifest["check_unit"] == "vab.mapping.yaml" and manifest["snapshot"] == "full"


def test_file_drop_bad_mapping_names_file(settings):
    landing = file_drop.landing_dir(settings)
    landing.mkdir(parents=True)
    (landing / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (landing / "x.mapping.json").write_text(json.dumps({"file": "x.csv", "indicator_id": "vab_fk_open_data",
                                                        "columns": {"area": "nope"}}))
    with pytest.raises(FileDropError, match=r"x\.mapping\.json.*'nope' not in the file"):
        file_drop.ingest_file_drop("x.mapping.json", run_id="r", settings=settings)
    assert not (settings.batches_dir / "file").exists()


def test_tasks_wiring_runs_a_replay_unit(settings, monkeypatch):
    """jamstat/orchestration/ingest_tasks.py (the DAGs' entry) → the ingest units, with its own replay server on an ephemeral port."""
    from jamstat.orchestration import ingest_tasks as tasks

    monkeypatch.setenv("JAMSTAT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("JAMSTAT_MODE", "replay")
    monkeypatch.delenv("JAMSTAT_REPLAY_URL", raising=False)
    monkeypatch.setenv("JAMSTAT_KOLADA_YEARS", "2023")
    assert tasks.resolve_mode()["mode"] == "replay"
    s = tasks.ingest_unit("kolada", "N21704", {"mode": "replay"}, "manual__1")
    assert s["status"] == "loaded" and s["rows"] == 15
    miss = tasks.ingest_unit("kolada", "N05816", {"mode": "replay"}, "manual__1")
    assert miss["status"] == "no_recorded_data" and miss["detail"]
    json.dumps(s)  # JSON-serialisable for XCom


def test_file_drop_xlsx(settings):
    """An FK-style xlsx export (SYNTHETIC workbook generated here; FK publishes kommun × kön sheets with a title
    row above the table) is ingested like the CSV: skip_rows, sheet, sex map, suppressed cells."""
    from openpyxl import Workbook

    landing = file_drop.landing_dir(settings)
    landing.mkdir(parents=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Kommun"
    ws.append(["SYNTHETIC test workbook shaped like FK tfpVabAntalDagarBeloppLanKommun.xlsx"])
    ws.append(["År", "Kommun", "Kön", "Antal nettodagar"])
    ws.append([2023, "0180 Stockholm", "Kvinnor", 1250.5])
    ws.append([2023, "0180 Stockholm", "Män", None])
    ws.append([2023, "0180 Stockholm", "Samtliga", 2000])
    wb.save(landing / "vab_fk.xlsx")
    (landing / "vab_fk.mapping.yaml").write_text(
        "file: vab_fk.xlsx\nindicator_id: vab_fk_open_data\nsheet: Kommun\nskip_rows: 1\n"
        "columns: {period: År, area: Kommun, sex: Kön, value: Antal nettodagar}\n"
        "sex_map: {Kvinnor: K, Män: M, Samtliga: T}\n", encoding="utf-8")
    s = file_drop.ingest_file_drop("vab_fk.mapping.yaml", mode="replay", base_urls={}, run_id="r", settings=settings)
    assert s["status"] == "loaded" and s["rows"] == 3
    df = pq.read_table(settings.batches_dir / "file" / f"{s['batch_id']}.parquet").to_pandas()
    by_sex = dict(zip(df.sex, df.value, strict=True))
    assert by_sex["K"] == 1250.5 and by_sex["T"] == 2000 and by_sex["M"] != by_sex["M"]  # empty cell stays null
    assert set(df.area_code) == {"0180"} and set(df.period) == {"2023"}
