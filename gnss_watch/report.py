"""The anomaly report: ``report.html`` (one self-contained file) and ``report.pdf`` (A4 pages).

:func:`write_report` turns a replay (a :class:`~gnss_watch.pipeline.Results` or
its output directory) into evidence a reader can check::

    from gnss_watch.report import write_report
    rep = write_report("out")          # out/report.html, out/report.pdf
    rep.pages, rep.seconds

Contents: summary (time span, line accounting, vessels, events, zones,
inputs); overview map; interference grid of the worst hours; timeline of
vessels affected per zone and of spoofing events; one panel per spoofing event
(all in the HTML, the ``top`` by score in the PDF); tables of events, zones
and affected vessels; the method (checks, strengths, and the full
configuration as ``gnss-watch config --show`` prints it).

The HTML embeds its images as base64 PNG, loads nothing from the network
(a Content-Security-Policy forbids it) and escapes every value from the data:
AIS text fields are attacker-controlled. Figures are drawn on the Agg backend
without pyplot, so reporting never touches a display or global figure state.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure, SubFigure

from . import __version__, plot
from .checks import CHECK_FAMILY, CHECKS
from .config import Config
from .outputs import atomic_write, write_text
from .pipeline import Results

#: A4 in inches (portrait, landscape).
A4 = (8.27, 11.69)
A4_LANDSCAPE = (11.69, 8.27)
#: Spoofing events per PDF page, and text-table lines per landscape PDF page (7 pt monospace).
EVENTS_PER_PAGE = 2
LINES_PER_PAGE = 64
#: Worst hours shown in the interference-grid small multiple.
GRID_HOURS = 4
#: Figure defaults: nothing smaller than 7 pt on paper.
_RC = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
       "legend.fontsize": 7, "pdf.fonttype": 42, "figure.dpi": 100}
_PNG_DPI = 110

#: Ship and cargo type (ITU-R M.1371-5 Table 53): specific codes, then by tens.
_SHIP_TYPES = {30: "fishing", 31: "towing", 32: "towing (large)", 33: "dredging", 34: "diving", 35: "military",
               36: "sailing", 37: "pleasure craft", 50: "pilot", 51: "search and rescue", 52: "tug",
               53: "port tender", 54: "anti-pollution", 55: "law enforcement", 58: "medical transport"}
_SHIP_TENS = {2: "wing in ground", 4: "high-speed craft", 6: "passenger", 7: "cargo", 8: "tanker", 9: "other"}


@dataclass
class Report:
    """What :func:`write_report` wrote: the two files, the PDF's page count and the time taken (s)."""

    html: Path
    pdf: Path
    pages: int
    seconds: float

    def __str__(self) -> str:
        return f"wrote {self.html} and {self.pdf} ({self.pages} pages) in {self.seconds:.1f} s"


def ship_type_text(codes: pd.Series) -> pd.Series:
    """AIS ship type codes as words ('' when unknown)."""
    c = pd.to_numeric(codes, errors="coerce")
    return c.map(_SHIP_TYPES).fillna((c // 10).map(_SHIP_TENS)).fillna("").astype(str)


def _fmt_time(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")


# --- tables ----------------------------------------------------------------------------------------


def events_table(res: Results) -> pd.DataFrame:
    """Events (spoofing first, by score) with vessel names, for display."""
    ev = res.events.copy()
    names = plot.vessel_names(res)
    ev.insert(3, "name", ev["mmsi"].map(names).fillna(""))
    ev = ev.sort_values(["kind", "score"], ascending=[False, False], kind="stable")
    out = ev[["event_id", "kind", "mmsi", "name", "start", "end", "n_reports", "score", "reasons", "zone_id",
              "group_id"]].copy()
    out["start"], out["end"] = _fmt_time(out["start"]), _fmt_time(out["end"])
    for c in ("reasons", "zone_id", "group_id"):  # jamming events have no group: NaN in a fresh replay
        out[c] = out[c].fillna("").astype(str)
    out["score"] = out["score"].map("{:.3f}".format).astype(str)
    return out.reset_index(drop=True)


def zones_table(res: Results) -> pd.DataFrame:
    z = res.zones.drop(columns="geometry").copy()
    z["start"], z["end"] = _fmt_time(z["start"]), _fmt_time(z["end"])
    # astype(str): an empty column keeps its float dtype through map()
    z["centre"] = (z["centre_lat"].map("{:.3f}°N".format).astype(str) + " "
                   + z["centre_lon"].map("{:.3f}°E".format).astype(str))
    # as many decimals as zones.geojson keeps, so a report from an output directory reads the same
    z["confidence"] = z["confidence"].map("{:.3f}".format).astype(str)
    z["radius_km"] = z["radius_km"].map("{:.1f}".format).astype(str)
    return z[["zone_id", "start", "end", "n_vessels", "n_reports", "confidence", "centre", "radius_km", "method"]]


def affected_vessels(res: Results) -> pd.DataFrame:
    """One row per vessel in any event: name, type, spoofing and jamming events, zones, first and last time."""
    ev = res.events
    if not len(ev):
        return pd.DataFrame(columns=["mmsi", "name", "type", "spoofing", "jamming", "zones", "first", "last"])
    g = ev.groupby("mmsi")
    out = pd.DataFrame({
        "spoofing": g["kind"].agg(lambda k: int((k == "spoofing").sum())),
        "jamming": g["kind"].agg(lambda k: int((k == "jamming").sum())),
        "zones": g["zone_id"].agg(lambda z: " ".join(sorted(set(z) - {""}))),
        "first": g["start"].min(), "last": g["end"].max(),
    }).reset_index()
    v = res.dataset.vessels.drop_duplicates("mmsi", keep="last").set_index("mmsi")
    out.insert(1, "name", out["mmsi"].map(v["name"]).fillna("").astype(str))
    out.insert(2, "type", ship_type_text(out["mmsi"].map(v["ship_type"])))
    out["first"], out["last"] = _fmt_time(out["first"]), _fmt_time(out["last"])
    return out.sort_values(["spoofing", "jamming", "mmsi"], ascending=[False, False, True], ignore_index=True)


def summary_rows(res: Results) -> list[tuple[str, str]]:
    """(label, value) lines of the summary section, from summary.json's fields."""
    s = res.summary
    d = s.get("detection", {})
    lines = s.get("lines", {})
    skipped = ", ".join(f"{k} {v:,}" for k, v in lines.get("skipped", {}).items()) or "none"
    ts = s.get("time_span", {})
    # NMEA counts by message type; table readers (CSV, Digitraffic) by row kind ('position', 'static')
    counts = s.get("messages", {}).get("by_type", {})
    by_type = ", ".join([f"type {k}: {counts[k]:,}" for k in sorted((k for k in counts if str(k).isdigit()), key=int)]
                        + [f"{k}: {counts[k]:,}" for k in sorted(k for k in counts if not str(k).isdigit())])
    return [
        ("Time span (UTC)", f"{ts.get('start')} – {ts.get('end')}"),
        ("Input lines", f"{lines.get('read', 0):,} read, {lines.get('used', 0):,} used; skipped: {skipped}"),
        ("Messages", f"{s.get('messages', {}).get('decoded', 0):,} decoded ({by_type})"),
        ("Position reports", f"{s.get('positions', 0):,} ({s.get('positions_unavailable', 0):,} without a position) "
                             f"in {s.get('segments', 0):,} track segments"),
        ("Vessels", f"{s.get('vessels', 0):,} MMSIs; {s.get('base_stations', 0):,} base stations"),
        ("Spoofing", f"{d.get('spoofing_events', 0):,} events on {d.get('spoofed_vessels', 0):,} vessels"),
        ("Jamming", f"{d.get('jamming_events', 0):,} events on {d.get('jammed_vessels', 0):,} vessels in "
                    f"{d.get('jamming_zones', 0):,} zones"),
        ("Flagged reports", ", ".join(f"{k} {v:,}" for k, v in d.get("flagged_reports", {}).items()) or "none"),
        ("Inputs", "; ".join(f"{p} ({f})" for p, f in s.get("inputs", {}).items())),
        ("gnss-watch", f"replay {s.get('version', '?')}, report {__version__}"),
    ]


def method_rows(res: Results) -> pd.DataFrame:
    """The checks: family, strength in the score, and how often each fired."""
    strengths = res.config.detect.strengths()
    fired = res.summary.get("detection", {}).get("checks_fired", {})
    return pd.DataFrame({"check": list(CHECKS), "family": [CHECK_FAMILY[c] for c in CHECKS],
                         "strength": [strengths.get(c, float("nan")) for c in CHECKS],
                         "reports flagged": [int(fired.get(c, 0)) for c in CHECKS]})


METHOD_TEXT = (
    "Every position report is run through physical-plausibility checks (below). Each fired check contributes "
    "its strength; the rule score is 1 - prod(1 - strength) over the fired checks, so one conclusive check "
    "(strength >= 0.5) raises an alert by itself while weak ones need company. An isolation forest, calibrated "
    "on the reports no rule flagged, ranks flagged reports and can lift two weak rule hits over the alert "
    "threshold, never a report with no rule hit. Flagged reports of one vessel merge into spoofing events; "
    "jamming episodes of many vessels cluster into zones whose centre estimates the emitter area. Grid cells "
    "follow gpsjam.org: the share of vessels affected per cell-hour, (bad - 1) / all, low below 2 %, high above 10 %."
)


# --- figures ---------------------------------------------------------------------------------------


def _fig_map(res: Results, size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    # The axes get the figure's shape less the title and tick labels.
    plot.plot_map(res, ax=ax, bbox=plot.fit_bbox(plot.extent(res), (size[0] - 0.8) / (size[1] - 0.8)))
    ax.set_title("Overview: traffic, jamming zones and spoofed positions")
    return fig


def _fig_grid(res: Results, size: tuple[float, float]) -> Figure:
    hours = plot.worst_hours(res, GRID_HOURS)
    fig = Figure(figsize=size, layout="constrained")
    n = max(len(hours), 1)
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    # Each map fills its cell (less titles, tick labels and the legend row).
    bbox = plot.fit_bbox(plot.extent(res), (size[0] / cols - 0.7) / ((size[1] - 0.9) / rows - 0.6))
    for i, ax in enumerate(axes):
        if i < len(hours):
            plot.plot_grid(res, hours[i], ax=ax, bbox=bbox, legend=False)
        else:
            ax.set_axis_off()
    fig.suptitle("Interference grid: share of vessels affected per cell-hour (gpsjam.org levels), worst hours")
    fig.legend(handles=plot.level_handles(res), loc="outside lower center", ncols=3, fontsize=8)
    return fig


def _fig_timeline(res: Results, size: tuple[float, float]) -> Figure:
    n_rows = res.events.loc[res.events["kind"] == "spoofing", "mmsi"].nunique()
    fig = Figure(figsize=size, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, max(0.5, min(n_rows, 40) / 12)])
    plot.plot_timeline(res, ax=top)
    t = res.reports["time"]
    span = (t.max() - t.min()).total_seconds() if len(t) else 0.0  # the timeline's bins widen over a long span
    top.set_title(f"Vessels affected per {plot.bin_text(plot.timeline_bin_s(span), short=False)} in each jamming zone")
    plot.plot_events_timeline(res, ax=bottom)
    bottom.set_title("Spoofing events per vessel")
    bottom.set_xlabel("time (UTC)")
    return fig


def _event_panel(fig: Figure | SubFigure, res: Results, e: pd.Series, names: pd.Series) -> None:
    """Track map (left) with speeds and checks over time (right) for one spoofing event."""
    gs = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.25], height_ratios=[1.2, 1])
    mmsi, eid = int(e["mmsi"]), str(e["event_id"])
    track = plot.plot_track(res, mmsi, ax=fig.add_subplot(gs[:, 0]), event_id=eid, legend=False)
    plot.add_legend(track, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)
    sp = plot.plot_speed(res, mmsi, ax=fig.add_subplot(gs[0, 1]), event_id=eid)
    ck = plot.plot_checks(res, mmsi, ax=fig.add_subplot(gs[1, 1], sharex=sp), event_id=eid)
    ck.set_title("checks that fired", fontsize=8)
    ck.set_xlabel("time (UTC)")
    fig.suptitle(f"{eid}: {plot.safe_text(names.get(mmsi, ''))} (MMSI {mmsi}), "
                 f"{e['start']:%H:%M:%S}–{e['end']:%H:%M:%S} UTC, {int(e['n_reports'])} reports, "
                 f"score {e['score']:.2f}\nchecks: {plot.safe_text(e['reasons'], 80)}", fontsize=8)


def _fig_event(res: Results, e: pd.Series, names: pd.Series) -> Figure:
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    _event_panel(fig, res, e, names)
    return fig


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_PNG_DPI)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _text_pages(title: str, lines: list[str], columns: int = 1) -> list[Figure]:
    """Monospaced text on landscape A4 pages (7 pt), ``columns`` side by side; the header line of a
    table (first line) repeats on every page when ``columns`` is 1."""
    header, body = (lines[:1], lines[1:]) if columns == 1 else ([], lines)
    per = LINES_PER_PAGE - len(header)
    chunks = [body[i:i + per] for i in range(0, max(len(body), 1), per)]
    pages = [chunks[i:i + columns] for i in range(0, len(chunks), columns)]
    figs = []
    for k, cols in enumerate(pages):
        fig = Figure(figsize=A4_LANDSCAPE)
        fig.text(0.04, 0.96, title + (f" ({k + 1}/{len(pages)})" if len(pages) > 1 else ""), fontsize=10,
                 weight="bold", va="top", parse_math=False)
        for c, chunk in enumerate(cols):
            # parse_math=False: AIS text with '$' signs must not be read as mathtext.
            fig.text(0.04 + c * 0.48, 0.92, "\n".join(header + chunk), family="monospace", fontsize=7, va="top",
                     parse_math=False, linespacing=1.15)
        figs.append(fig)
    return figs


def _text_table(df: pd.DataFrame) -> str:
    """A plain-text table with text columns left-aligned (numbers stay right-aligned)."""
    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    width = {c: max(len(str(c)), int(df[c].astype(str).str.len().max())) for c in text}
    return df.to_string(index=False, justify="left",
                        formatters={c: (lambda v, w=width[c]: str(v).ljust(w)) for c in text})


def _summary_page(res: Results, config_note: str) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.07, 0.95, "GNSS interference report", fontsize=16, weight="bold", va="top")
    y = 0.9
    for label, value in summary_rows(res):
        fig.text(0.07, y, label, fontsize=9, weight="bold", va="top")
        text = _wrap(value, 80)
        fig.text(0.3, y, text, fontsize=9, va="top", parse_math=False)
        y -= 0.015 + 0.015 * (text.count("\n") + 1)
    y -= 0.02
    fig.text(0.07, y, "Method", fontsize=11, weight="bold", va="top")
    fig.text(0.07, y - 0.03, _wrap(METHOD_TEXT, 105) + "\n\n" + config_note, fontsize=8, va="top",
             parse_math=False)
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# --- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1150px;
color:#222;padding:0 1em;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2;cursor:pointer;user-select:none}
th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
tr:nth-child(even) td{background:#fafafa}img{max-width:100%;height:auto;border:1px solid #eee}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.8em}.event{margin:1.5em 0}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1.5em}dl.summary dt{font-weight:bold}
dl.summary dd{margin:0}
"""
# Click a header to sort its table (numbers numerically); no external resources.
_JS = """
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var tb = th.closest('table').tBodies[0], rows = Array.from(tb.rows);
    var asc = !th.classList.contains('sorted-asc');
    th.closest('tr').querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    function key(r){var t = r.cells[col].textContent.trim();  // whole numbers only: dates sort as text
      return /^-?\\d+(\\.\\d+)?$/.test(t) ? parseFloat(t) : t;}
    rows.sort(function(a, b){var x = key(a), y = key(b);
      var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
      return asc ? c : -c;});
    rows.forEach(function(r){tb.appendChild(r);});
  });
});
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _e(value: object) -> str:
    """Escaped text of a value from the data ('' for missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def html_table(df: pd.DataFrame, table_id: str) -> str:
    """A sortable HTML table with every header and cell escaped."""
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    cells = df.astype(object).map(_e)
    body = "\n".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in cells.to_numpy())
    return (f'<table class="sortable" id="{_e(table_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>\n{body}\n</tbody></table>")


def _img(b64: str, alt: str) -> str:
    return f'<img src="data:image/png;base64,{b64}" alt="{_e(alt)}">'


def _html(res: Results, images: dict[str, str], event_images: list[tuple[pd.Series, str]], config_note: str,
          toml: str) -> str:
    summary = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in summary_rows(res))
    names = plot.vessel_names(res)
    ev_html = "\n".join(
        f'<div class="event" id="{_e(e["event_id"])}"><h3>{_e(e["event_id"])}: {_e(names.get(e["mmsi"], ""))} '
        f'(MMSI {_e(e["mmsi"])}), score {e["score"]:.2f}</h3>'
        f"{_img(b64, 'spoofing event ' + str(e['event_id']))}</div>" for e, b64 in event_images
    ) or "<p>No spoofing events.</p>"
    ts = res.summary.get("time_span", {})
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gnss-watch report {_e(ts.get('start'))}</title><style>{_CSS}</style></head>
<body>
<h1>GNSS interference report</h1>
<p>{_e(ts.get('start'))} – {_e(ts.get('end'))} UTC · gnss-watch {_e(__version__)}</p>
<h2 id="summary">1. Summary</h2><dl class="summary">{summary}</dl>
<h2 id="map">2. Overview map</h2>{_img(images['map'], 'overview map')}
<h2 id="grid">3. Interference grid</h2>{_img(images['grid'], 'interference grid')}
<h2 id="timeline">4. Timeline</h2>{_img(images['timeline'], 'timeline')}
<h2 id="events">5. Spoofing events</h2>{ev_html}
<h2 id="tables">6. Tables</h2>
<h3>Events</h3>{html_table(events_table(res), 'events-table')}
<h3>Jamming zones</h3>{html_table(zones_table(res), 'zones-table')}
<h3>Affected vessels</h3>{html_table(affected_vessels(res), 'vessels-table')}
<h2 id="method">7. Method</h2><p>{_e(METHOD_TEXT)}</p>
{html_table(method_rows(res), 'checks-table')}
<p>{_e(config_note)}</p><pre>{_e(toml)}</pre>
<script>{_JS}</script>
</body></html>
"""


# --- entry point -----------------------------------------------------------------------------------


def write_report(results: Results | str | Path, out_dir: str | Path | None = None, top: int = 10,
                 config_note: str | None = None) -> Report:
    """Write ``report.html`` and ``report.pdf`` into ``out_dir`` (default: the results directory).

    ``top`` spoofing events (highest score first) get a panel in the PDF; the
    HTML has every event. ``config_note`` says where the configuration came
    from (shown in the method section). Both files are written atomically.
    """
    t0 = time.perf_counter()
    if out_dir is None:
        if not isinstance(results, (str, Path)):
            raise ValueError("out_dir is needed when results is not a directory")
        out_dir = results
    res = plot.as_results(results)
    out = Path(out_dir)
    note = config_note or ("Configuration: defaults." if res.config == Config() else "Configuration: as below.")
    toml = res.config.to_toml()
    names = plot.vessel_names(res)
    spoof = res.events[res.events["kind"] == "spoofing"].sort_values("score", ascending=False, kind="stable")
    with rc_context(_RC):
        # The overview figures are drawn once, for the PDF page and the HTML image alike.
        overview = {"map": _fig_map(res, A4_LANDSCAPE), "grid": _fig_grid(res, A4_LANDSCAPE),
                    "timeline": _fig_timeline(res, A4_LANDSCAPE)}
        images = {name: _png(fig) for name, fig in overview.items()}
        event_images = [(e, _png(_fig_event(res, e, names))) for _, e in spoof.iterrows()]
        write_text(out / "report.html", _html(res, images, event_images, note, toml))

        figs: list[Figure] = [_summary_page(res, note), *overview.values()]
        chosen = spoof.head(top)
        for i in range(0, len(chosen), EVENTS_PER_PAGE):
            fig = Figure(figsize=A4, layout="constrained")
            subs = fig.subfigures(EVENTS_PER_PAGE, 1, hspace=0.04)
            for sub, (_, e) in zip(subs, chosen.iloc[i:i + EVENTS_PER_PAGE].iterrows()):
                _event_panel(sub, res, e, names)
            figs.append(fig)
        for title, df in (("Events", events_table(res)), ("Jamming zones", zones_table(res)),
                          ("Affected vessels", affected_vessels(res))):
            text = _text_table(df) if len(df) else "(none)"
            figs += _text_pages(title, text.splitlines())
        method = _text_table(method_rows(res)).splitlines()
        figs += _text_pages("Method: checks and configuration (gnss-watch config --show)",
                            [*method, "", note, "", *toml.splitlines()], columns=2)

        def write_pdf(tmp: str) -> None:
            with PdfPages(tmp, metadata={"Title": "GNSS interference report", "Creator": f"gnss-watch {__version__}"}
                          ) as pdf:
                for fig in figs:
                    pdf.savefig(fig)

        atomic_write(out / "report.pdf", write_pdf)
    return Report(out / "report.html", out / "report.pdf", len(figs), time.perf_counter() - t0)
