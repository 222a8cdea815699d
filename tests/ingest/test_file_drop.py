"""The file drop: the landing folder is a boundary, numbers are never guessed, periods parse, one key has one
value, and a dropped file whose rows would map to nothing fails its own task. Real files in a real landing
folder; every table here is SYNTHETIC, generated in the test."""
from __future__ import annotations

import os
import threading

import pyarrow.parquet as pq
import pytest

from ingest import file_drop
from ingest.run_unit import run_units
from ingest.sources.files import FileDropError

SECRET = "JAMSTAT_TEST_SECRET=hunter2-do-not-echo"
MAPPING = "indicator_id: vab_fk_open_data\ncolumns: {period: år, area: region, sex: kön, value: värde}\n"


@pytest.fixture
def landing(settings):
    folder = file_drop.landing_dir(settings)
    folder.mkdir(parents=True)
    return folder


def _drop(landing, name: str, table: str, mapping: str = MAPPING, data_name: str | None = None) -> str:
    data_name = data_name or f"{name}.csv"
    (landing / data_name).write_text(table, "utf-8")
    (landing / f"{name}.mapping.yaml").write_text(f"file: {data_name}\n{mapping}", "utf-8")
    return f"{name}.mapping.yaml"


def _ingest(settings, unit: str) -> dict:
    return file_drop.ingest_file_drop(unit, mode="replay", run_id="r", settings=settings)


def _nothing_landed(settings) -> bool:
    return not (settings.batches_dir / "file").exists() and not (settings.data_dir / "raw").exists()


# --- the landing folder is a boundary ------------------------------------------------------------------------
@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.env"
    path.write_text(SECRET + "\nOTHER=1\n", "utf-8")
    return path


@pytest.mark.parametrize("how", ["traversal", "absolute", "symlink"])
def test_a_mapping_cannot_read_outside_the_landing_folder(settings, landing, secret_file, how):
    target = {"traversal": os.path.relpath(secret_file, landing), "absolute": str(secret_file),
              "symlink": "linked.csv"}[how]
    if how == "symlink":
        (landing / "linked.csv").symlink_to(secret_file)
    (landing / "x.mapping.yaml").write_text(f"file: {target}\n{MAPPING}", "utf-8")
    with pytest.raises(FileDropError) as err:
        _ingest(settings, "x.mapping.yaml")
    assert ("leads outside" if how == "symlink" else "must be a file name inside data/landing/") in str(err.value)
    assert "hunter2" not in str(err.value) and "JAMSTAT_TEST_SECRET" not in str(err.value)
    assert _nothing_landed(settings)


def test_dev_zero_is_refused_without_reading(settings, landing):
    (landing / "zero.csv").symlink_to("/dev/zero")
    for target in ("/dev/zero", "zero.csv"):
        (landing / "z.mapping.yaml").write_text(f"file: {target}\n{MAPPING}", "utf-8")
        with pytest.raises(FileDropError, match="must be a file name inside|leads outside"):
            _ingest(settings, "z.mapping.yaml")
    assert _nothing_landed(settings)


def test_fifo_is_refused_without_opening_it(settings, landing):
    os.mkfifo(landing / "pipe.csv")
    (landing / "p.mapping.yaml").write_text(f"file: pipe.csv\n{MAPPING}", "utf-8")
    outcome = {}

    def run():
        try:
            _ingest(settings, "p.mapping.yaml")
        except FileDropError as exc:
            outcome["error"] = str(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # it is blocked opening the FIFO: release it, then fail
        fd = os.open(landing / "pipe.csv", os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("the FIFO was opened for reading (the task hung)")
    assert "is not a regular file" in outcome["error"]


def test_size_limit_refuses_before_reading(settings, landing):
    import dataclasses

    small = dataclasses.replace(settings, file_drop_max_bytes=100)
    unit = _drop(landing, "big", "år,region,kön,värde\n" + "2023,0180,kvinnor,12\n" * 20)
    with pytest.raises(FileDropError, match=r"over the limit of 100 .*JAMSTAT_FILE_DROP_MAX_BYTES"):
        _ingest(small, unit)
    assert _nothing_landed(settings)
    assert _ingest(settings, unit)["status"] == "loaded"


def test_error_messages_quote_file_content_only_redacted(settings, landing):
    unit = _drop(landing, "odd", f"{SECRET},b\n1,2\n")
    with pytest.raises(FileDropError) as err:
        _ingest(settings, unit)
    text = str(err.value)
    assert "not in the file" in text and "'JAMS'… (" in text and "redacted" in text
    assert "hunter2" not in text and SECRET not in text


def test_only_named_mappings_are_planned(settings, landing):
    (landing / "data.json").write_text('{"file": "x.csv"}', "utf-8")
    (landing / "old_style.yaml").write_text("file: x.csv\n", "utf-8")
    (landing / "vab.mapping.json").write_text('{"file": "x.csv"}', "utf-8")
    (landing / "nte.mapping.yml").write_text("file: x.csv\n", "utf-8")
    assert file_drop.plan_file_drops(settings) == ["nte.mapping.yml", "vab.mapping.json"]
    with pytest.raises(FileDropError, match="not a mapping file"):
        _ingest(settings, "data.json")


# --- no silent corruption -------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, message", [
    (["1,250", "3"], r"'1,250' reads as 1250 .* or as 1.25"),
    (["980.25", "1,5"], r"mixes number formats \('1,5' and '980.25'"),
], ids=["ambiguous", "mixed"])
def test_an_ambiguous_number_column_names_file_and_column(settings, landing, values, message):
    unit = _drop(landing, "num", "år;region;kön;värde\n" + "".join(
        f"2023;0180;{sex};{v}\n" for sex, v in zip(("kvinnor", "män"), values, strict=True)))
    with pytest.raises(FileDropError, match=rf"num\.mapping\.yaml': num\.csv: column 'värde': {message}"):
        _ingest(settings, unit)
    assert _nothing_landed(settings)


def test_declared_number_format_is_used(settings, landing):
    table = "år;region;kön;värde\n2023;0180;kvinnor;1,250\n2023;0180;män;1 980,5\n"
    unit = _drop(landing, "dec", table, MAPPING + "decimal: ','\nthousands: ' '\n")
    s = _ingest(settings, unit)
    df = pq.read_table(settings.batches_dir / "file" / f"{s['batch_id']}.parquet").to_pandas()
    assert dict(zip(df.sex, df.value, strict=True)) == {"K": 1.25, "M": 1980.5}


def test_a_malformed_period_fails_its_file_and_the_others_go_on(settings, landing):
    bad = _drop(landing, "bad", "år,region,kön,värde\n2023,0180,kvinnor,12\n20x3,0180,män,10\n")
    good = _drop(landing, "good", "år,region,kön,värde\n2023,0180,kvinnor,12\n")
    results = {u: (s, e) for u, s, e in run_units("files", [bad, good], mode="replay", run_id="r", settings=settings)}
    assert "periods '20x3' (rows 3) are not a year" in str(results[bad][1])
    assert results[good][0]["status"] == "loaded"
    assert len(list((settings.batches_dir / "file").glob("*.parquet"))) == 1


def test_conflicting_duplicate_keys_name_the_rows(settings, landing):
    table = "år,region,kön,värde\n2023,0180,kvinnor,12\n2023,0180,män,10\n2023,0180,kvinnor,13\n2023,0180,män,10\n"
    unit = _drop(landing, "dup", table)
    with pytest.raises(FileDropError, match=r"dup\.csv: rows 2, 4 give area '0180', period 2023, sex K different"):
        _ingest(settings, unit)
    assert _nothing_landed(settings)


# --- a dropped file whose rows map to nothing fails its task ---------------------------------------------------
@pytest.mark.parametrize("mapping, message", [
    ("source_ref: my_own_series\ncolumns: {period: år, area: region, sex: kön, value: värde}\n", "maps to nothing"),
    ("indicator_id: no_such_indicator\ncolumns: {period: år, area: region, sex: kön, value: värde}\n",
     "is not in the catalog"),
    (MAPPING + "dims: [ålder]\n", "2 combinations of the dims columns"),
], ids=["undeclared-ref", "unknown-indicator", "undeclared-dims"])
def test_rows_that_would_map_to_nothing_fail_the_task(settings, landing, mapping, message):
    table = "år,region,kön,ålder,värde\n2023,0180,kvinnor,0-19,12\n2023,0180,kvinnor,20-64,13\n"
    unit = _drop(landing, "nomap", table, mapping)
    with pytest.raises(FileDropError, match=message):
        _ingest(settings, unit)
    assert _nothing_landed(settings)


def test_an_empty_file_fails_its_task(settings, landing):
    unit = _drop(landing, "empty", "år,region,kön,värde\n")
    with pytest.raises(FileDropError, match="no data rows"):
        _ingest(settings, unit)


def test_the_documented_example_mapping_ingests(settings, landing):
    """docs/examples/landing/vab_fk.mapping.yaml, used as documented on an export of the shape it describes."""
    from jamstat.settings import REPO_ROOT

    example = REPO_ROOT / "docs" / "examples" / "landing" / "vab_fk.mapping.yaml"
    (landing / example.name).write_bytes(example.read_bytes())
    (landing / "vab_2023.csv").write_text(  # SYNTHETIC values
        "År;Kommun;Kön;Antal nettodagar\n2023;0180 Stockholm;Kvinnor;1 250,5\n2023;0180 Stockholm;Män;980\n", "utf-8")
    assert file_drop.plan_file_drops(settings) == [example.name]
    s = _ingest(settings, example.name)
    df = pq.read_table(settings.batches_dir / "file" / f"{s['batch_id']}.parquet").to_pandas()
    assert dict(zip(df.sex, df.value, strict=True)) == {"K": 1250.5, "M": 980.0}
    assert set(df.source_ref) == {"vab_fk_open_data"} and set(df.area_code) == {"0180"}


def test_landing_folder_is_created_with_a_readme_and_the_documented_example(settings):
    from ingest.file_drop import EXAMPLE_MAPPING, ensure_landing_dir, plan_file_drops

    folder = ensure_landing_dir(settings)
    assert folder == settings.data_dir / "landing" and folder.is_dir()
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "<name>.mapping.yaml" in readme and "vab_fk.mapping.yaml.example" in readme
    example = folder / "vab_fk.mapping.yaml.example"
    assert example.read_bytes() == EXAMPLE_MAPPING.read_bytes()
    assert plan_file_drops(settings) == []  # neither the README nor the example is read as a mapping


def test_landing_folder_keeps_what_an_analyst_put_there(settings):
    from ingest.file_drop import ensure_landing_dir

    folder = settings.data_dir / "landing"
    folder.mkdir(parents=True)
    (folder / "README.txt").write_text("our own notes", encoding="utf-8")
    (folder / "vab_fk.mapping.yaml.example").write_text("edited", encoding="utf-8")
    ensure_landing_dir(settings)
    assert (folder / "README.txt").read_text(encoding="utf-8") == "our own notes"
    assert (folder / "vab_fk.mapping.yaml.example").read_text(encoding="utf-8") == "edited"
