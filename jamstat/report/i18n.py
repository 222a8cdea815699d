"""The report's words and number formats in Swedish (first) and English. Names of areas, goals and indicators
come from the dims; this module holds only the report's own labels."""
from __future__ import annotations

import math

LANGS = ("sv", "en")
SEPARATORS = {"sv": ("\u00a0", ","), "en": (",", ".")}  # (thousands, decimal): "2 486 498,5" / "2,486,498.5"
CHART_LOCALE = {"sv": "sv-SE", "en": "en-GB"}  # d3-format locales bundled with vl-convert

# Decimals shown per unit, and the unit's suffix per language ("" = none). Percent gaps are percentage points.
UNITS = {
    "percent": (1, {"sv": "%", "en": "%"}),
    "days": (1, {"sv": "dagar", "en": "days"}),
    "count": (0, {"sv": "", "en": ""}),
    "SEK": (0, {"sv": "kr", "en": "SEK"}),
    "SEK_thousand": (1, {"sv": "tkr", "en": "SEK thousand"}),
    "index": (1, {"sv": "", "en": ""}),
    "per_10k": (1, {"sv": "per 10 000", "en": "per 10,000"}),
    "per_100k": (1, {"sv": "per 100 000", "en": "per 100,000"}),
    "years": (1, {"sv": "år", "en": "years"}),
    "minutes_per_day": (0, {"sv": "min/dag", "en": "min/day"}),
    "none": (1, {"sv": "", "en": ""}),
}
UNIT_NAMES = {
    "percent": {"sv": "procent", "en": "percent"}, "days": {"sv": "dagar", "en": "days"},
    "count": {"sv": "antal", "en": "number"}, "SEK": {"sv": "kronor", "en": "Swedish kronor"},
    "SEK_thousand": {"sv": "tusental kronor", "en": "thousand kronor"}, "index": {"sv": "index", "en": "index"},
    "per_10k": {"sv": "per 10 000", "en": "per 10,000"},
    "per_100k": {"sv": "per 100 000", "en": "per 100,000"},
    "years": {"sv": "år", "en": "years"}, "minutes_per_day": {"sv": "minuter per dag", "en": "minutes per day"},
    "none": {"sv": "utan enhet", "en": "no unit"},
}
POINTS = {"sv": "procentenheter", "en": "percentage points"}

WORDS = {
    "sv": {
        "site_title": "Uppföljning av jämställdhetsstrategin", "switch": "English", "skip": "Hoppa till innehållet",
        "start": "Start", "goal": "Mål", "goals": "Mål", "municipalities": "Kommuner", "indicators": "Indikatorer",
        "coverage": "Täckning", "quality": "Kvalitet", "women": "Kvinnor", "men": "Män", "total": "Totalt",
        "women_share": "Kvinnors andel", "gap": "Skillnad K − M", "value": "Värde", "year": "År",
        "county": "Län", "country": "Riket", "municipality": "Kommun", "rank": "Rang",
        "overall_goal": "Övergripande mål", "subgoal": "Delmål", "latest_year": "Senaste år",
        "at_parity": "vid jämställdhet", "toward": "närmar sig målet", "away": "fjärmar sig från målet",
        "unchanged": "oförändrade", "with_values": "med värden", "of": "av",
        "change_since": "Förändring sedan", "not_comparable": "ej jämförbar (seriebrott)",
        "series_break": "Seriebrott", "parity_band": "Jämn fördelning (40–60 %)", "no_value": "–",
        "missing_status": "Uppgift saknas", "download_csv": "Ladda ner värdena (CSV)",
        "show_numbers": "Visa siffrorna", "chart": "Diagram", "source": "Källa", "unit": "Enhet",
        "direction": "Önskad riktning", "breaks": "Seriebrott", "caveats": "Förbehåll", "provenance": "Ursprung",
        "definition": "Definition", "indicator": "Indikator", "status": "Status", "why": "Varför",
        "published": "Publicerad", "run": "Körning", "source_mode": "Källäge", "gates": "Kvalitetsgrindar",
        "checks": "kontroller", "passed": "godkänd", "failed": "underkänd", "freshness": "Aktualitet per källa",
        "rows": "rader", "batches": "batcher", "fetched": "hämtad", "values": "värden", "none": "inga",
        "print": "Skriv ut eller spara som PDF från webbläsaren: varje mål och varje kommun blir ett A4-dokument.",
    },
    "en": {
        "site_title": "Follow-up of the gender-equality strategy", "switch": "Svenska", "skip": "Skip to content",
        "start": "Start", "goal": "Goal", "goals": "Goals", "municipalities": "Municipalities",
        "indicators": "Indicators",
        "coverage": "Coverage", "quality": "Quality", "women": "Women", "men": "Men", "total": "Total",
        "women_share": "Women's share", "gap": "Gap W − M", "value": "Value", "year": "Year",
        "county": "County", "country": "Sweden", "municipality": "Municipality", "rank": "Rank",
        "overall_goal": "Overall goal", "subgoal": "Sub-goal", "latest_year": "Latest year",
        "at_parity": "at parity", "toward": "moving toward the target", "away": "moving away from the target",
        "unchanged": "unchanged", "with_values": "with values", "of": "of",
        "change_since": "Change since", "not_comparable": "not comparable (series break)",
        "series_break": "Series break", "parity_band": "Balanced (40–60%)", "no_value": "–",
        "missing_status": "No value", "download_csv": "Download the values (CSV)",
        "show_numbers": "Show the numbers", "chart": "Chart", "source": "Source", "unit": "Unit",
        "direction": "Desired direction", "breaks": "Series breaks", "caveats": "Caveats", "provenance": "Provenance",
        "definition": "Definition", "indicator": "Indicator", "status": "Status", "why": "Why",
        "published": "Published", "run": "Run", "source_mode": "Source mode", "gates": "Quality gates",
        "checks": "checks", "passed": "passed", "failed": "failed", "freshness": "Freshness per source",
        "rows": "rows", "batches": "batches", "fetched": "fetched", "values": "values", "none": "none",
        "print": "Print or save as PDF from the browser: every goal and every municipality prints as an A4 document.",
    },
}

# Follow-up status in words (mart_goal_followup.followup_status); older publications say `no_data` for no_data_yet.
STATUS = {
    "data": {"sv": "Följs upp med data", "en": "Followed up with data"},
    "no_data_yet": {"sv": "Inga värden ännu", "en": "No values yet"},
    "public_source_not_ingested": {"sv": "Källa finns, hämtas inte än", "en": "Published, not yet ingested"},
    "no_public_source": {"sv": "Ingen offentlig källa", "en": "No public source"},
    "context_only": {"sv": "Bakgrund, följs inte upp", "en": "Background, not followed up"},
}
STATUS_ALIASES = {"no_data": "no_data_yet"}

DIRECTION = {
    "parity": {"sv": "Jämn fördelning: kvinnors andel mellan 40 och 60 %",
               "en": "Balance: women's share between 40 and 60%"},
    "gap_to_zero": {"sv": "Skillnaden mellan kvinnor och män ska bort", "en": "The gap between women and men closes"},
    "higher_is_better": {"sv": "Högre är bättre", "en": "Higher is better"},
    "lower_is_better": {"sv": "Lägre är bättre", "en": "Lower is better"},
    "context": {"sv": "Bakgrund, bedöms inte", "en": "Context, not judged"},
}

SEMANTICS = {
    "by_sex": {"sv": "Separata värden för kvinnor och män.", "en": "Separate values for women and men."},
    "women_share": {"sv": "Kvinnors andel av det hela, i procent.", "en": "Women's share of the whole, in percent."},
    "men_share": {"sv": "Mäns andel av det hela, i procent; kvinnors andel är 100 minus den.",
                  "en": "Men's share of the whole, in percent; women's share is 100 minus it."},
    "women_pct_of_men": {"sv": "Kvinnors värde i procent av mäns (100 = lika).",
                         "en": "Women's value as a percentage of men's (100 = equal)."},
    "gap_women_minus_men": {"sv": "Kvinnors värde minus mäns (0 = lika).",
                            "en": "Women's value minus men's (0 = equal)."},
    "level": {"sv": "Ett värde för alla, inte uppdelat på kön.", "en": "One value for everyone, not split by sex."},
}

CHECK_STATUS = {
    "passed": {"sv": "godkänd", "en": "passed"}, "failed": {"sv": "underkänd", "en": "failed"},
    "skipped": {"sv": "hoppades över", "en": "skipped"}, "warn": {"sv": "varning", "en": "warning"},
    "warning": {"sv": "varning", "en": "warning"}, "error": {"sv": "fel", "en": "error"},
}

MODE_BANNER = {
    "replay": {"sv": "Inspelade exempeldata: siffrorna kommer från inspelade svar från Kolada och SCB (replay-läge) "
                     "och täcker bara några serier. Detta är inte en fullständig uppföljning.",
               "en": "Recorded sample data: the figures come from recorded Kolada and SCB responses (replay mode) "
                     "and cover only a few series. This is not a complete follow-up."},
    "synthetic": {"sv": "SYNTETISKA DATA: slumpade värden för prestandatest. Siffrorna betyder ingenting.",
                  "en": "SYNTHETIC DATA: random values for benchmarking. The figures mean nothing."},
    "unknown": {"sv": "Publiceringens källäge är okänt: kontrollera siffrorna innan du använder dem.",
                "en": "The source mode of this publication is unknown: check the figures before relying on them."},
}


def word(lang: str, key: str) -> str:
    return WORDS[lang][key]


def status_key(status: str | None) -> str:
    return STATUS_ALIASES.get(status or "no_data_yet", status or "no_data_yet")


def status_words(status: str | None, lang: str) -> str:
    key = status_key(status)
    return STATUS.get(key, {"sv": key, "en": key})[lang]


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, lang: str, decimals: int = 1) -> str:
    """A plain number in the language's format (decimal comma in Swedish); '–' when missing."""
    if is_missing(value):
        return WORDS[lang]["no_value"]
    value = round(float(value), decimals) or 0.0  # no "-0,0"
    thousands, point = SEPARATORS[lang]
    text = f"{abs(value):,.{decimals}f}".replace(",", "\x00").replace(".", point).replace("\x00", thousands)
    return ("\u2212" + text) if value < 0 else text


def unit_suffix(unit: str | None, lang: str) -> str:
    return UNITS.get(unit or "none", UNITS["none"])[1][lang]


def value(value, unit: str | None, lang: str) -> str:
    """A value with its unit: '25,7 %' in Swedish, '25.7%' in English."""
    decimals, suffixes = UNITS.get(unit or "none", UNITS["none"])
    text = number(value, lang, decimals)
    suffix = suffixes[lang]
    if is_missing(value) or not suffix:
        return text
    joiner = "" if (lang == "en" and suffix == "%") else "\u00a0"
    return f"{text}{joiner}{suffix}"


def gap(value, unit: str | None, lang: str, *, signed: bool = True) -> str:
    """A difference in the indicator's unit; percent differences are percentage points."""
    if is_missing(value):
        return WORDS[lang]["no_value"]
    decimals = UNITS.get(unit or "none", UNITS["none"])[0]
    text = number(value, lang, decimals)
    if signed and value > 0:
        text = "+" + text
    suffix = POINTS[lang] if unit == "percent" else unit_suffix(unit, lang)
    return f"{text}\u00a0{suffix}" if suffix else text


def unit_label(unit: str | None, lang: str) -> str:
    suffix = unit_suffix(unit, lang)
    names = {"count": {"sv": "antal", "en": "number"}, "index": {"sv": "index", "en": "index"},
             "none": {"sv": "värde", "en": "value"}}
    return suffix or names.get(unit or "none", names["none"])[lang]
