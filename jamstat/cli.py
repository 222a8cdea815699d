"""`jamstat` command line (also `python -m jamstat`).

    fetch --kpi N00945 --area 0180 --years 2015-2024 [--mode live|replay|auto]   rows as CSV on stdout
    normalize --source scb|kolada FILE                                          any payload → CSV on stdout
    coverage                                                                    every catalog indicator
    preflight [--mode …] [--only ID]                                            check the catalog against the APIs
    describe-scb TABLE [--api v1|v2] [--mode …]                                 an SCB table's variables and codes
    replay [--port N]                                                           run the replay server
    ingest kolada|scb|files UNIT... [--mode …]                                  run units like the DAGs do
    batches list [--source S] [--state current|superseded|retracted]            committed batches and their state
    batches show ID                                                             one batch: provenance, history
    batches retract ID --reason "…" [--by NAME]                                 keep a batch out of the marts
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from ingest.modes import source_base_urls
from ingest.registry import SOURCES
from jamstat.settings import Settings

CSV_COLUMNS = ["source", "source_ref", "area_code", "period", "sex", "value", "status", "dims", "is_deleted"]


def _settings() -> Settings:
    return Settings.from_env()


def _resolve(mode: str | None, settings: Settings) -> str:
    from ingest.modes import resolve_mode

    requested = (mode or settings.mode).lower()
    if requested == "auto":
        return resolve_mode(Settings(**{**settings.__dict__, "mode": "auto"}))
    return requested


def _print_csv(frame: pd.DataFrame) -> None:
    cols = [c for c in CSV_COLUMNS if c in frame.columns]
    out = frame[cols].copy()
    out["value"] = out["value"].map(lambda v: "" if pd.isna(v) else repr(float(v)).removesuffix(".0")
                                    if float(v).is_integer() else repr(float(v)))
    out.to_csv(sys.stdout, index=False, lineterminator="\n")


@click.group(help="jamstat ingestion: Kolada v3, SCB PxWeb, file drops; live or replayed.")
def main() -> None:
    pass


@main.command(help="Fetch one Kolada KPI for areas and years and print the rows as CSV.")
@click.option("--kpi", required=True, help="Kolada KPI id, e.g. N00945")
@click.option("--area", "areas", required=True, help="Kolada area id(s), comma-separated, e.g. 0180,1280")
@click.option("--years", required=True, help="e.g. 2015-2024 or 2019,2020")
@click.option("--mode", type=click.Choice(["live", "replay", "auto"]), default=None)
def fetch(kpi: str, areas: str, years: str, mode: str | None) -> None:
    from ingest.http import HttpClient, ReplayMiss, RetryPolicy
    from ingest.kolada_kpi import parse_years
    from ingest.sources import kolada as kol

    settings = _settings()
    resolved = _resolve(mode, settings)
    area_list = [a.strip() for a in areas.split(",") if a.strip()]
    year_list = parse_years(years)
    with source_base_urls(resolved, settings) as urls, HttpClient(RetryPolicy.from_env()) as http:
        client = kol.KoladaClient(http, urls["kolada"])
        try:
            values = client.data_kpi_municipality_years(kpi, area_list, year_list)
        except ReplayMiss:
            click.echo(f"note: /data/kpi/{kpi}/municipality/… not recorded; using the recorded all-areas "
                       "endpoint and filtering areas", err=True)
            try:
                values = [v for v in client.data_kpi_years(kpi, year_list) if str(v.get("municipality")) in area_list]
            except ReplayMiss:
                values = []
    frame = kol.normalize(values, f"{kpi}")
    if frame.empty:
        click.echo(f"no data for {kpi} {areas} {years} (mode {resolved})", err=True)
    frame = frame.sort_values(["area_code", "period", "sex"], kind="stable")
    _print_csv(frame)


@main.command("describe-scb", help="Print an SCB table's variables with their codes and value texts: what a catalog "
                                    "spec needs (scb_contents_code, scb_selection). TABLE is a v1 path "
                                    "(AM/AM0208/AM0208E/YREG50BAS) or a v2 id (TAB4449).")
@click.argument("table")
@click.option("--api", type=click.Choice(["v1", "v2"]), default=None, help="default: v2 for TAB ids, else v1")
@click.option("--mode", type=click.Choice(["live", "replay", "auto"]), default=None)
@click.option("--values", "max_values", type=int, default=12, show_default=True,
              help="codes shown per variable (0 = all)")
def describe_scb(table: str, api: str | None, mode: str | None, max_values: int) -> None:
    
    from ingest.http import HttpClient, HttpError, ReplayMiss, RetryPolicy
    from ingest.sources import scb

    settings = _settings()
    resolved = _resolve(mode, settings)
    api = api or ("v2" if table.upper().startswith("TAB") else "v1")
    with source_base_urls(resolved, settings) as urls, HttpClient(RetryPolicy.from_env()) as http:
        client = scb.ScbV2Client(http, urls["scb_v2"]) if api == "v2" else scb.ScbV1Client(http, urls["scb_v1"])
        try:
            meta, fetched = client.metadata(table)
        except ReplayMiss as exc:
            raise click.ClickException(f"{table}: metadata not recorded ({exc.url}); run with --mode live "
                                       "where the SCB API is reachable") from exc
        except HttpError as exc:
            raise click.ClickException(f"{table}: {exc}") from exc
    click.echo(f"{api} {table}: {meta.title}  (mode {resolved}; {fetched.url})")
    for v in meta.variables:
        flags = [f for f, on in (("time", v.time), ("can be eliminated", v.elimination)) if on]
        click.echo(f"\n{v.code}  {len(v.values)} value{'s' * (len(v.values) != 1)}"
                   + (f"  [{', '.join(flags)}]" if flags else
                                                              "  [must be selected]"))
        shown = v.values if max_values == 0 else v.values[:max_values]
        for i, code in enumerate(shown):
            click.echo(f"  {code:<14} {v.labels[i] if v.labels else ''}")
        if len(shown) < len(v.values):
            click.echo(f"  … {len(v.values) - len(shown)} more (--values 0 shows all)")
    for note in meta.notes:
        click.echo(f"\nnote: {note}")


@main.command(help="Normalise a saved json-stat2 (SCB) or Kolada v3 payload to CSV on stdout.")
@click.option("--source", type=click.Choice(["scb", "kolada"]), required=True)
@click.option("--table", default=None, help="SCB table name for source_ref (default: extension.px.tableid)")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def normalize(source: str, table: str | None, file: Path) -> None:
    from ingest.http import decode_json

    doc = decode_json(file.read_bytes(), str(file))
    if source == "scb":
        from ingest.sources import scb

        frame, notes = scb.normalize_payload(doc, table, url=str(file))
        for n in notes:
            click.echo(f"note: {n.splitlines()[0][:160]}", err=True)
    else:
        from ingest.sources import kolada as kol

        values = doc.get("values") if isinstance(doc, dict) else doc
        frame = kol.normalize(values or [], str(file))
    _print_csv(frame)


@main.command(help="Every catalog indicator: ingestible or not (and why), last fetch, batches and rows.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def coverage(fmt: str) -> None:
    from ingest.batches import read_manifests
    from ingest.catalog import ingestibility, load_catalog, recorded_evidence
    from ingest.replay.server import MANIFEST

    settings = _settings()
    catalog = load_catalog(settings.catalog_path)
    replay_paths = {e["path"] for e in json.loads(MANIFEST.read_text("utf-8"))["entries"]
                    if e.get("provenance") in ("real", "derived")}
    manifests = read_manifests(settings.batches_dir) if settings.batches_dir.exists() else []
    rows = []
    for ind in catalog:
        ok, reason = ingestibility(ind)
        if ind.source in ("kolada", "scb"):  # a Kolada row may have SCB as an alternative source
            mine = [m for m in manifests if m.get("unit") == f"kolada:{ind.source_ref}"
                    or str(m.get("unit", "")).startswith(f"scb:{ind.indicator_id}:")]
        else:
            mine = [m for m in manifests if m.get("source") == "file"
                    and (ind.indicator_id in m.get("source_refs", [])
                         or f"indicator_id={ind.indicator_id}" in m.get("notes", []))]
        last = max((m.get("fetched_at", "") for m in mine), default="")
        rows.append({"indicator_id": ind.indicator_id, "source": ind.source,
                     "ref": ind.source_ref if ind.source == "kolada" else (ind.get("scb_table") or ind.source_ref)[:40],
                     "ingestible": "yes" if ok else "no", "recorded": recorded_evidence(ind, replay_paths),
                     "reason": reason, "last_fetched": last[:19],
                     "batches": len(mine), "rows": sum(int(m.get("row_count", 0)) for m in mine),
                     "modes": ",".join(sorted({m.get("mode", "") for m in mine}))})
    frame = pd.DataFrame(rows)
    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        cols = ["indicator_id", "source", "ref", "ingestible", "recorded", "batches", "rows", "last_fetched", "reason"]
        text = frame[cols].astype(str)
        text["reason"] = text["reason"].str.slice(0, 110)
        widths = {c: max(len(c), int(text[c].str.len().max())) for c in cols[:-1]}
        click.echo("  ".join(c.ljust(widths[c]) for c in cols[:-1]) + "  reason")
        for row in text.itertuples(index=False):
            click.echo("  ".join(str(getattr(row, c)).ljust(widths[c]) for c in cols[:-1]) + "  " + row.reason)
        n_ok = (frame["ingestible"] == "yes").sum()
        api = frame[frame["source"].isin(["kolada", "scb"])
                    & ~frame["indicator_id"].isin([i.indicator_id for i in catalog if i.get("scb_api") == "none"])]
        rec = frame["recorded"].value_counts().to_dict()
        click.echo(f"\n{n_ok}/{len(frame)} indicators ingestible by API ({(api['ingestible'] == 'yes').sum()} of "
                   f"{len(api)} Kolada/SCB rows with an API table); {int((frame['batches'] > 0).sum())} "
                   f"have committed batches ({int(frame['rows'].sum())} rows).")
        click.echo(f"recorded: real data responses for {rec.get('data', 0)}, metadata only for "
                   f"{rec.get('metadata', 0)}, spec only (first checked by a live run) for {rec.get('spec', 0)}.")
        _echo_payloads(settings)


def _echo_payloads(settings: Settings) -> None:
    """Every real payload replay carries (recorded data responses, bundled exports): what it reached."""
    from ingest.payloads import describe, trace_payloads

    traces = trace_payloads(settings.batches_dir, settings.published_path)
    click.echo("\nReal payloads (replay recordings and bundled analyst exports) and what they reached:")
    width = max(len(t.name) for t in traces)
    for t in sorted(traces, key=lambda t: (t.provenance, t.name)):
        click.echo(f"  {t.name:<{width}}  {t.provenance:<8} {describe(t)}")
    def count(kind: str) -> str:
        mine = [t for t in traces if t.provenance == kind and not t.reason]
        return f"{sum(t.reaches_facts for t in mine)} of {len(mine)}"

    click.echo(f"Reach fct_indicator_value: real recordings {count('real')}, placed exports {count('export')}, "
               f"derived recordings {count('derived')}; {sum(bool(t.reason) for t in traces)} exports not placed "
               "(reason above).")


@main.command(help="Before a live run: check every catalog API row against the APIs' metadata (no data requests; "
                   "paced like a run). One line per row: OK / will fail: why / unverified. Exit 1 if a row will "
                   "fail, 3 if the APIs cannot be reached.")
@click.option("--mode", type=click.Choice(["live", "replay", "auto"]), default=None,
              help="live: the real APIs; replay: the recordings; auto (default): live, or exit 3 when offline")
@click.option("--only", multiple=True, help="indicator_id to check (repeatable); default: every API row")
def preflight(mode: str | None, only: tuple[str, ...]) -> None:
    from ingest.http import HttpClient, RetryExhausted, RetryPolicy
    from ingest.preflight import OFFLINE_EXIT, exit_code, run_preflight, summary

    settings = _settings()
    requested = (mode or settings.mode).lower()
    resolved = _resolve(mode, settings)
    if requested == "auto" and resolved == "replay":
        click.echo("offline: the live APIs (Kolada, SCB) did not answer, and preflight checks the live APIs. Run "
                   "it where you have internet access, or check the recordings with --mode replay.", err=True)
        raise SystemExit(OFFLINE_EXIT)
    try:
        with source_base_urls(resolved, settings) as urls, HttpClient(RetryPolicy.from_env()) as http:
            checks = run_preflight(settings, resolved, urls, http, only=list(only) or None)
    except RetryExhausted as exc:
        click.echo(f"offline: {exc}", err=True)
        raise SystemExit(OFFLINE_EXIT) from exc
    for check in checks:
        click.echo(check.line())
    click.echo(summary(checks, resolved))
    raise SystemExit(exit_code(checks))


@main.command(help="Run the replay server in the foreground (stops on SIGTERM/Ctrl-C).")
@click.option("--port", type=int, default=8765, show_default=True, help="0 = ephemeral")
@click.option("--host", default=None, help="listen address (default: JAMSTAT_BIND, else 127.0.0.1)")
def replay(port: int, host: str | None) -> None:
    from ingest.replay.server import serve_forever

    serve_forever(port=port, host=host or _settings().bind_host)


@main.command(name="ingest", help="Run ingest units as the DAGs do (and record the source check like them): Kolada "
                                   "KPI ids, SCB spec ids or mapping files; all planned units when none are given.")
@click.argument("source", type=click.Choice(list(SOURCES)))
@click.argument("units_", nargs=-1, metavar="[UNIT]...")
@click.option("--mode", type=click.Choice(["live", "replay", "auto"]), default=None)
@click.option("--run-id", default=None)
def ingest_cmd(source: str, units_: tuple[str, ...], mode: str | None, run_id: str | None) -> None:
    from datetime import UTC, datetime

    from ingest.run_unit import run_units

    settings = _settings()
    resolved = _resolve(mode, settings)
    run_id = run_id or "cli__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if source == "files":
        from ingest.file_drop import ensure_landing_dir

        ensure_landing_dir(settings)
    todo = list(units_) or SOURCES[source].plan(settings)
    failed = 0
    for unit, summary, error in run_units(source, todo, mode=resolved, run_id=run_id, settings=settings):
        if error is not None:
            failed += 1
            click.echo(f"{unit}: FAILED {type(error).__name__}: {error}", err=True)
        else:
            click.echo(f"{unit}: {summary['status']} rows={summary.get('rows', 0)} "
                       f"{summary.get('detail', '') or ''}".rstrip())
    if failed:
        raise SystemExit(1)


@main.group(help="Committed batches and their state (current, superseded, retracted); retract a bad one. "
                  "Retractions are an append-only audit trail in data/state/retractions.jsonl.")
def batches() -> None:
    pass


@batches.command("list", help="Every committed batch with its unit, snapshot kind, rows, when the source last "
                              "sent it and its state.")
@click.option("--source", "source_name", default=None, help="kolada, scb or file")
@click.option("--state", type=click.Choice(["current", "superseded", "retracted", "all"]), default="all")
def batches_list(source_name: str | None, state: str) -> None:
    from ingest.batch_log import batch_states

    settings = _settings()
    rows = [b for b in batch_states(settings.batches_dir, settings.state_dir, source_name)
            if state == "all" or b.state == state]
    rows.sort(key=lambda b: (b.source, b.check_unit, b.last_observed_at))
    click.echo(f"{'batch_id':<16}  {'source':<6}  {'unit':<40}  {'snapshot':<11}  {'rows':>7}  "
               f"{'last observed (UTC)':<19}  state")
    for b in rows:
        click.echo(f"{b.batch_id[:16]}  {b.source:<6}  {b.check_unit[:40]:<40}  {b.snapshot or '?':<11}  "
                   f"{b.row_count:>7}  {b.last_observed_at[:19]:<19}  {b.state}")
    click.echo(f"\n{len(rows)} batch(es). `jamstat batches show ID` for one; ids may be shortened to 8+ characters.")


@batches.command("show", help="One batch: provenance, state, every time the source sent it, its retraction.")
@click.argument("batch_id")
def batches_show(batch_id: str) -> None:
    from ingest.batch_log import BatchLogError, batch_states, find_batch, read_observations, read_retractions

    settings = _settings()
    try:
        m = find_batch(settings.batches_dir, batch_id)
    except BatchLogError as exc:
        raise click.ClickException(str(exc)) from None
    bid = m["batch_id"]
    state = next(b for b in batch_states(settings.batches_dir, settings.state_dir, m["source"]) if b.batch_id == bid)
    click.echo(f"batch {bid}\n  source {m['source']}, unit {state.check_unit} ({m.get('unit')}), snapshot "
               f"{m.get('snapshot') or '?'}, {m.get('row_count')} rows, mode {m.get('mode')}, run {m.get('run_id')}")
    click.echo(f"  fetched {m.get('fetched_at')}; last observed {state.last_observed_at}")
    click.echo(f"  state: {state.state}" + (f" — {state.reason}" if state.reason else ""))
    for r in m.get("responses", []):
        click.echo(f"  response {r.get('method')} {r.get('url')} -> {r.get('path')}")
    for o in read_observations(settings.state_dir):
        if bid in (o.get("batch_ids") or []):
            click.echo(f"  observed {o.get('checked_at')} ({o.get('status')}, {o.get('snapshot')}, run {o.get('run_id')})")
    for r in read_retractions(settings.state_dir):
        if r.get("batch_id") == bid:
            click.echo(f"  retracted {r.get('retracted_at')} by {r.get('retracted_by')}: {r.get('reason')}")


@batches.command("retract", help="Keep a batch out of the marts from the next transform_publish run on, with an "
                                 "audit record (who, when, why). Fix or re-fetch the source for new values.")
@click.argument("batch_id")
@click.option("--reason", required=True, help="what is wrong with the batch")
@click.option("--by", "by", default=None, help="who retracts it (default: the login name)")
def batches_retract(batch_id: str, reason: str, by: str | None) -> None:
    import getpass

    from ingest.batch_log import BatchLogError, retract

    settings = _settings()
    try:
        record = retract(settings.batches_dir, settings.state_dir, batch_id, reason=reason, by=by or getpass.getuser())
    except BatchLogError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"retracted {record['batch_id']} ({record['source']} unit {record['check_unit']}) by {record['retracted_by']}: "
               f"{record['reason']}\nThe next transform_publish run (make run) builds without it.")


if __name__ == "__main__":
    main()
