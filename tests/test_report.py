"""The HTML + PDF report: self-contained, complete, escaped, A4; and its CLI."""

from __future__ import annotations

import base64
import csv
import io
import math
import re
import zlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from report_helpers import HOSTILE_NAMES, fresh_replay, replay_dir  # noqa: E402

from gnss_watch import report as report_mod  # noqa: E402
from gnss_watch.cli import main  # noqa: E402
from gnss_watch.config import Config  # noqa: E402
from gnss_watch.pipeline import replay  # noqa: E402
from gnss_watch.results import load_results  # noqa: E402
from gnss_watch.simulate import simulate  # noqa: E402

TOP = 3


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """The shared replay directory with its report written by the CLI (``--top 3``)."""
    d = replay_dir(tmp_path_factory.getbasetemp())
    assert main(["report", str(d), "--top", str(TOP)]) == 0
    return d


@pytest.fixture(scope="module")
def res(out):
    return load_results(out)


@pytest.fixture(scope="module")
def page(out):
    return (out / "report.html").read_text(encoding="utf-8")


def test_files_written(out):
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")


def test_embedded_images_are_valid_pngs(page, res):
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    n_spoof = int((res.events["kind"] == "spoofing").sum())
    assert len(images) == 3 + n_spoof  # map, grid, timeline + one panel per spoofing event
    for b64 in images:
        raw = base64.b64decode(b64, validate=True)
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        img = mpimg.imread(io.BytesIO(raw), format="png")
        assert img.shape[0] > 100 and img.shape[1] > 100


def test_html_is_self_contained(page):
    # nothing fetched: every src/href is inline data, and the CSP forbids the rest
    assert not re.search(r"""\b(?:src|href)\s*=\s*(?!["']?data:)""", page)
    assert "default-src 'none'" in page
    assert "<link" not in page and "@import" not in page


def test_html_names_every_event_and_zone(page, res):
    assert len(res.events) and len(res.zones)
    for eid in list(res.events["event_id"]) + list(res.zones["zone_id"]):
        assert f">{eid}<" in page


def test_hostile_names_escaped_in_html(page):
    script, formula, _ = HOSTILE_NAMES
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # only the report's own table sorter
    assert "=HYPERLINK(&quot;http://evil.example&quot;" in page


def test_hostile_names_neutralised_in_csv(out):
    with open(out / "vessels.csv", newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'" + HOSTILE_NAMES[1] in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_pdf_pages_a4_and_count(out, res):
    pdf = (out / "report.pdf").read_bytes()
    pages = len(re.findall(rb"/Type /Page\b", pdf))
    boxes = set(re.findall(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf))
    a4 = (round(8.27 * 72, 2), round(11.69 * 72, 2))
    assert {tuple(sorted(float(x) for x in b)) for b in boxes} == {a4}
    n_spoof = int((res.events["kind"] == "spoofing").sum())
    toml_lines = len(Config().to_toml().splitlines())
    # one checks row per check + header, then a blank, the config note and a blank
    method_lines = len(report_mod.method_rows(res)) + 1 + 3 + toml_lines
    tables = sum(max(1, math.ceil((len(df) + 1 - 1) / (report_mod.LINES_PER_PAGE - 1)))
                 for df in (res.events, res.zones, report_mod.affected_vessels(res)))
    expected = (4 + math.ceil(min(TOP, n_spoof) / report_mod.EVENTS_PER_PAGE) + tables
                + math.ceil(method_lines / (2 * report_mod.LINES_PER_PAGE)))
    assert pages == expected


def test_pdf_fonts_at_least_7pt(out):
    pdf = (out / "report.pdf").read_bytes()
    sizes = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            text = zlib.decompress(stream)
        except zlib.error:
            continue
        sizes += [float(x) for x in re.findall(rb"/F\d+ ([\d.]+) Tf", text)]
    assert len(sizes) > 100 and min(sizes) >= 7


def test_affected_vessels_have_names_and_types(res):
    av = report_mod.affected_vessels(res)
    assert set(av["mmsi"]) == set(res.events["mmsi"])
    assert (av["name"] != "").any() and (av["type"] != "").any()
    assert av["spoofing"].sum() == (res.events["kind"] == "spoofing").sum()


def test_ship_type_text():
    import pandas as pd

    s = report_mod.ship_type_text(pd.Series([70, 79, 52, 36, 0, None, 84], dtype="Int16"))
    assert list(s) == ["cargo", "cargo", "tug", "sailing", "", "", "tanker"]


def test_cli_report_bad_dir_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such directory" in err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a 'gnss-watch replay --out' directory" in capsys.readouterr().err


@pytest.mark.parametrize("damage,content", [("positions.parquet", b"garbage"), ("summary.json", b"{"),
                                            ("zones.geojson", b'{"features": [{"properties": {}}]}')])
def test_cli_report_on_a_damaged_file_says_which_directory_in_one_line(out, tmp_path, capsys, damage, content):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / damage).write_bytes(content)
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{broken}: unreadable replay outputs" in err


_EVENTS_HEADER = ("event_id,kind,mmsi,start,end,n_reports,lat,lon,score,reasons,zone_id,true_lat,true_lon,claimed_lat,"
                  "claimed_lon,group_id")


@pytest.mark.parametrize("damage,content,why", [
    ("summary.json", "[]", "summary.json: should be a JSON object, not a list"),
    ("summary.json", "null", "summary.json: should be a JSON object, not null"),
    ("summary.json", '{"inputs": 5}', "summary.json: inputs should be a JSON object, not the number 5"),
    ("summary.json", '{"lines": {"read": "x"}}', "summary.json: lines.read should be a number, not the string 'x'"),
    ("summary.json", '{"detection": {"checks_fired": {"circle": null}}}', "detection.checks_fired.circle"),
    ("summary.json", '{"messages": {"by_type": [1]}}', "messages.by_type should be a JSON object, not a list"),
    ("events.csv", "event_id,kind\nX,spoofing\n", "events.csv: missing columns start, end, mmsi"),
    ("events.csv", _EVENTS_HEADER + "\nX,spoofing,ship,,,,,,,,,,,,,\n", "events.csv: column mmsi should hold numbers"),
    ("events.csv", _EVENTS_HEADER + "\nX,spoofing,1,,,1,,,,,,,,,,\n", "events.csv: column start is blank in row 1"),
    ("grid.csv", "hour,cell\n2024-06-01T00:00:00Z,a\n", "grid.csv: missing columns lat, lon"),
    ("zones.geojson", "[]", "zones.geojson: should be a GeoJSON FeatureCollection"),
    ("zones.geojson", '{"features": 5}', "zones.geojson: should be a GeoJSON FeatureCollection"),
    ("zones.geojson", '{"features": [5]}', "zones.geojson: feature 1 has no properties object"),
])
def test_cli_report_on_a_file_of_the_wrong_shape_exits_2_naming_it(out, tmp_path, capsys, damage, content, why):
    """Files that parse but are not what a replay writes: one line naming the file and the fault, exit 2."""
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / damage).write_text(content, encoding="utf-8")
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{broken}: unreadable replay outputs ({damage}" in err and why in err
    assert "internal error" not in err


def test_cli_report_on_positions_without_a_needed_column_exits_2(out, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    pd.read_parquet(out / "positions.parquet").drop(columns=["pos_valid"]).to_parquet(broken / "positions.parquet")
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "positions.parquet: missing column pos_valid" in err


def test_cli_report_on_a_file_says_it_is_a_file(out, capsys):
    assert main(["report", str(out / "summary.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a 'gnss-watch replay --out' directory" in err


def test_report_timeline_over_a_century_stays_small(res):
    """Half the reports moved 74 years on: the report's timeline widens its bins (and says so) instead of
    drawing millions of 10-minute bins."""
    import dataclasses

    from gnss_watch import plot

    r = res.reports.copy()
    late = r["mmsi"] % 2 == 0
    r.loc[late, "time"] = r.loc[late, "time"] + pd.Timedelta(days=27000)
    wide = dataclasses.replace(res, detection=dataclasses.replace(res.detection, reports=r))
    fig = report_mod._fig_timeline(wide, report_mod.A4_LANDSCAPE)
    top = fig.axes[0]
    assert top.get_title() == "Vessels affected per 14 days in each jamming zone"
    assert top.get_lines() and all(len(ln.get_xdata()) <= plot.MAX_TIMELINE_BINS for ln in top.get_lines())
    assert report_mod._fig_timeline(res, report_mod.A4_LANDSCAPE).axes[0].get_title() == (
        "Vessels affected per 10 minutes in each jamming zone")


def test_cli_replay_report_flag(tmp_path_factory, monkeypatch, capsys):
    calls = []

    def fake(results, out_dir, top, config_note):
        calls.append((out_dir, top, len(results.reports)))
        return "wrote fake report"

    monkeypatch.setattr(report_mod, "write_report", fake)
    base = tmp_path_factory.getbasetemp()
    replay_dir(base)
    nmea = next((base / "scenario").glob("*.nmea*"))
    out = tmp_path_factory.mktemp("replay_report")
    assert main(["replay", str(nmea), "--out", str(out), "--report", "--top", "2", "-q"]) == 0
    assert calls and calls[0][0] == str(out) and calls[0][1] == 2 and calls[0][2] > 0
    assert "wrote fake report" in capsys.readouterr().out


def test_report_without_any_interference(res, tmp_path):
    """A quiet recording (no events, zones or grid cells) still gives a complete report."""
    import dataclasses

    quiet_reports = res.reports.assign(kind="", event_id="", zone_id="")
    det = dataclasses.replace(res.detection, reports=quiet_reports, events=res.events.iloc[:0],
                              zones=res.zones.iloc[:0], grid=res.detection.grid.iloc[:0])
    rep = report_mod.write_report(dataclasses.replace(res, detection=det), tmp_path, top=5)
    page = rep.html.read_text(encoding="utf-8")
    assert "No spoofing events." in page and page.count("data:image/png;base64,") == 3
    pdf = rep.pdf.read_bytes()
    assert len(re.findall(rb"/Type /Page\b", pdf)) == rep.pages
    assert rep.pages == 4 + 3 + math.ceil((len(report_mod.method_rows(res)) + 4
                                           + len(Config().to_toml().splitlines())) / (2 * report_mod.LINES_PER_PAGE))


def test_loaded_results_match_the_fresh_replay(res, tmp_path_factory):
    """Tables from the output directory equal those of the replay that wrote it (what the report shows):
    names read back lose the CSV's formula neutralisation, so both reports show them alike."""
    _, fresh = fresh_replay(tmp_path_factory.getbasetemp())
    for table in (report_mod.events_table, report_mod.zones_table, report_mod.affected_vessels):
        a, b = table(fresh), table(res)
        assert not a.astype(str).isin(["nan", "None", "<NA>"]).any().any()
        assert a.astype(str).equals(b.astype(str)), table.__name__
    assert [r[0] for r in report_mod.summary_rows(fresh)] == [r[0] for r in report_mod.summary_rows(res)]


def test_the_report_states_the_configuration_the_replay_ran_with(tmp_path):
    """A replay records its configuration in config.toml; loading the directory (and so
    `gnss-watch report DIR`) uses it for the method section, not the defaults."""
    files = simulate(seed=3, out_dir=tmp_path / "scenario", vessels=10, hours=0.25, interference=False)
    cfg = Config().replace(checks={"on_land_depth_m": 1234.0})
    replay([str(files["nmea"])], out_dir=tmp_path / "out", config=cfg)
    assert load_results(tmp_path / "out").config == cfg
    assert main(["report", str(tmp_path / "out"), "--top", "0"]) == 0
    assert "on_land_depth_m = 1234.0" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_report_tables_of_a_fresh_replay_with_no_events(res):
    """A replay that found nothing hands the report empty events still typed (times as times): the
    tables build instead of failing on the empty columns' dtype (``replay --report`` on clean data)."""
    import dataclasses

    from gnss_watch.detect import _all_events

    none = _all_events(pd.DataFrame(), pd.DataFrame())
    assert str(none["start"].dtype) == "datetime64[ns, UTC]" and list(none.columns) == list(res.events.columns)
    quiet = dataclasses.replace(res, detection=dataclasses.replace(res.detection, events=none))
    assert report_mod.events_table(quiet).empty and report_mod.affected_vessels(quiet).empty


def test_summary_counts_rows_of_table_inputs_by_kind(res):
    """Table readers (CSV, Digitraffic) count rows by kind, not AIS message type: both print."""
    import dataclasses

    s = {**res.summary, "messages": {"decoded": 7, "by_type": {"position": 5, "18": 1, "1": 1, "static": 0}}}
    rows = dict(report_mod.summary_rows(dataclasses.replace(res, summary=s)))
    assert rows["Messages"] == "7 decoded (type 1: 1, type 18: 1, position: 5, static: 0)"


@given(st.text(max_size=30))
def test_names_read_back_are_the_names_written(name):
    """The CSV's formula neutralisation undone on reading, whatever the name (one beginning with a quote too)."""
    from gnss_watch.outputs import csv_safe, csv_unsafe

    assert csv_unsafe(csv_safe(name)) == name and not str(csv_safe(name)).startswith(("=", "+", "-", "@"))
