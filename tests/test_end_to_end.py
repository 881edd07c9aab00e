"""The whole pipeline on the bundled sample, scored against its truth, and the CLI around it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import shapely.geometry

from gnss_watch.evaluate import evaluate
from gnss_watch.pipeline import replay

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "sample_data" / "gulf_of_finland.nmea.gz"
TRUTH = ROOT / "sample_data" / "gulf_of_finland.truth.json"
LABELS = ROOT / "sample_data" / "gulf_of_finland.labels.csv.gz"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, object]:
    out = tmp_path_factory.mktemp("replay")
    res = replay(str(SAMPLE), out_dir=out)
    return out, evaluate(TRUTH, out, labels=LABELS), res


def test_outputs_exist_and_follow_the_contract(run) -> None:
    out, _, res = run
    for name in ("positions.parquet", "anomalies.csv", "events.csv", "zones.geojson", "grid.csv",
                 "vessels.csv", "base_stations.csv", "summary.json"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary files
    ev = pd.read_csv(out / "events.csv")
    assert list(ev.columns[:11]) == ["event_id", "kind", "mmsi", "start", "end", "n_reports", "lat", "lon",
                                     "score", "reasons", "zone_id"]
    assert set(ev["kind"]) <= {"spoofing", "jamming"}
    an = pd.read_csv(out / "anomalies.csv")
    assert list(an.columns[:7]) == ["time", "mmsi", "lat", "lon", "kind", "score", "reasons"]
    assert an["score"].between(0.5, 1.0).all()
    zones = json.loads((out / "zones.geojson").read_text())
    for f in zones["features"]:
        assert shapely.geometry.shape(f["geometry"]).is_valid
        assert {"zone_id", "start", "end", "n_vessels", "n_reports", "confidence", "centre"} <= set(f["properties"])
    summary = json.loads((out / "summary.json").read_text())
    lines = summary["lines"]
    assert lines["read"] == lines["used"] + sum(lines["skipped"].values())
    assert summary["detection"]["spoofing_events"] == int((ev["kind"] == "spoofing").sum())
    assert len(pd.read_parquet(out / "positions.parquet")) == summary["positions"]


def test_spoofing_events_meet_the_bars(run) -> None:
    _, e, _ = run
    sp = e["spoofing"]
    assert sp["recall"] >= 0.95 and sp["precision"] >= 0.90
    assert sp["vessels"]["clean_flagged"] == 0 and sp["vessels"]["unspoofed_flagged"] == 0


def test_jammed_vessels_and_reports(run) -> None:
    _, e, _ = run
    assert e["jammed_vessels"]["recall"] >= 0.9
    assert e["reports"]["any"]["precision"] >= 0.95 and e["reports"]["any"]["recall"] >= 0.9


def test_every_jamming_zone_found_on_time(run) -> None:
    # Two zones overlapping in time ~85 km apart, switched on at different times: two zones.
    _, e, _ = run
    assert all(z["found"] and z["timing_ok"] for z in e["zones"]["zones"])


def test_config_show_and_override(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "config", "--show"], capture_output=True, text=True)
    assert r.returncode == 0 and "[checks]" in r.stdout and "max_gap_s = 1800.0" in r.stdout
    cfg = tmp_path / "c.toml"
    cfg.write_text("[tracks]\nmax_gap_s = 600\n")
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "config", "--config", str(cfg)], capture_output=True,
                       text=True)
    assert "max_gap_s = 600.0" in r.stdout
    cfg.write_text("[tracks]\nno_such_key = 1\n")
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(SAMPLE), "--out", str(tmp_path / "o"),
                        "--config", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 2 and "no_such_key" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("text", ["[live]\nbackoff_initial_s = 0.0", "[live]\nwindow_s = nan",
                                  "[live]\nread_timeout_s = inf", "[ingest]\nmax_line_length = 0"])
def test_live_and_ingest_settings_must_be_positive(text: str) -> None:
    """A backoff of 0 s reconnected in a busy loop, a nan window dropped every report as stale."""
    from gnss_watch.config import Config

    with pytest.raises(ValueError, match="must be (a finite number above 0|an integer from 1 to)"):
        Config.from_dict(tomllib.loads(text))


_BAD_CONFIG_VALUES = [
    ("tracks", "max_open_segments", "0"), ("checks", "degraded_window_s", "-1"),
    ("checks", "erratic_scatter_fixes", "0"), ("checks", "erratic_scatter_fixes", "-1"),
    ("checks", "mismatch_min_interval_s", "-1"), ("checks", "mismatch_min_interval_s", "nan"),
    ("checks", "divergence_min_reports", "0"), ("checks", "on_land_depth_m", "-1"),
    ("checks", "receiver_span_quantile", "-1"), ("checks", "receiver_span_quantile", "nan"),
    ("forest", "n_estimators", "0"), ("forest", "max_samples", "0"), ("forest", "calibration_quantile", "0"),
    ("forest", "calibration_quantile", "nan"), ("forest", "random_state", "-1"),
    ("forest", "random_state", "4294967296"), ("tracks", "max_speed_kn", "-60"), ("tracks", "max_gap_s", "nan"),
    ("tracks", "max_gap_s", "inf"), ("tracks", "max_gap_s", "-inf"), ("tracks", "max_gap_s", "9" * 400),
    ("tracks", "max_open_segments", "100000000000000000000"), ("ingest", "chunk_lines", str(2**53 + 1)),
    ("detect", "strength_on_land", "1.5"), ("events", "min_score", "-0.1"), ("zones", "edge_quantile", "0"),
    ("zones", "polygon_vertices", "2"), ("zones", "switch_chance_p", "1"), ("checks", "reckoned_slack_m", "-1"),
    ("checks", "course_mismatch_deg", "270"), ("live", "step_s", "0"),
]


@pytest.mark.parametrize(("section", "key", "value"), _BAD_CONFIG_VALUES)
def test_config_refuses_values_out_of_range(section: str, key: str, value: str) -> None:
    """Each of these crashed a replay after all its work, or silently gave wrong results."""
    from gnss_watch.config import Config

    with pytest.raises(ValueError, match=rf"^config key {section}\.{key} must be .*, got ") as exc:
        Config.from_dict(tomllib.loads(f"[{section}]\n{key} = {value}\n"))
    assert "\n" not in str(exc.value)


def test_config_refuses_settings_out_of_order() -> None:
    from gnss_watch.config import Config

    with pytest.raises(ValueError, match="checks.mismatch_min_interval_s must not exceed"):
        Config.from_dict({"checks": {"mismatch_min_interval_s": 700.0}})


def test_config_bad_value_is_a_usage_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[forest]\nn_estimators = 0\n")
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(SAMPLE), "--out", str(tmp_path / "o"),
                        "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "forest.n_estimators" in r.stderr and "Traceback" not in r.stderr


def test_config_defaults_pass_their_own_checks() -> None:
    import dataclasses

    from gnss_watch.config import _RANGES, Config, _check_value

    cfg = Config()
    cfg.validate()
    assert Config.from_dict(cfg.to_dict()) == cfg
    assert Config.from_dict(tomllib.loads(cfg.to_toml())) == cfg
    names = set()
    for sec in dataclasses.fields(cfg):
        section = getattr(cfg, sec.name)
        for f in dataclasses.fields(section):
            names.add(f"{sec.name}.{f.name}")
            _check_value(sec.name, f.name, getattr(section, f.name))
    assert set(_RANGES) <= names  # no range for a setting that does not exist (a typo)


def test_config_accepts_valid_non_defaults() -> None:
    from gnss_watch.config import Config

    cfg = Config.from_dict({"tracks": {"max_speed_kn": 45.0, "max_open_segments": 2},
                            "checks": {"receiver_span_quantile": 0.5, "reckoned_slack_m": 0, "on_land_depth_m": 1},
                            "forest": {"random_state": 2**32 - 1, "calibration_quantile": 0.99},
                            "detect": {"strength_course_mismatch": 0.0, "strength_on_land": 1.0},
                            "zones": {"edge_quantile": 1.0, "grid_medium_frac": 0.0}})
    assert cfg.tracks.max_speed_kn == 45.0 and cfg.checks.receiver_span_quantile == 0.5
    assert isinstance(cfg.checks.on_land_depth_m, float) and cfg.forest.random_state == 2**32 - 1


def test_every_subcommand_explains_itself() -> None:
    for sub in ([], ["replay"], ["simulate"], ["evaluate"], ["config"]):
        r = subprocess.run([sys.executable, "-m", "gnss_watch", *sub, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "usage: gnss-watch" in r.stdout


def test_the_package_level_replay_stays_the_function() -> None:
    """`gnss_watch.replay` is the function however the package was imported before: a submodule of
    the same name would replace it on the package once imported (by the report, say)."""
    code = ("import gnss_watch.report, gnss_watch; from gnss_watch import results; "
            "import gnss_watch.pipeline; f = gnss_watch.replay; g = gnss_watch.replay; "
            "print(callable(f), f is g, f.__module__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.split() == ["True", "True", "gnss_watch.pipeline"], r.stderr


def test_an_output_path_through_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    from gnss_watch.cli import main

    (tmp_path / "f").write_text("x")
    for out in (tmp_path / "f", tmp_path / "f" / "sub"):
        r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(SAMPLE), "--out", str(out)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and r.stderr.strip().endswith(f"{tmp_path / 'f'} is a file, not a directory")
    assert main(["simulate", "--seed", "1", "--out", str(tmp_path / "f" / "s")]) == 2
    # an empty --out would write into the working directory; a window that overflows once in seconds
    assert main(["live", "--tcp", "127.0.0.1:9", "--out", ""]) == 2
    assert main(["live", "--tcp", "127.0.0.1:9", "--out", str(tmp_path / "lv"), "--window", "1e308"]) == 2


def test_an_output_path_that_cannot_be_created_is_refused_and_the_probe_leaves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """access() says yes to root almost anywhere (/proc): the directory is tried before any work."""
    from gnss_watch.cli import main

    assert main(["replay", str(SAMPLE), "--out", "/proc/gnss-watch-test/out"]) == 2
    assert "cannot write there" in capsys.readouterr().err
    # the probe removes the folders it made: a run refused later (not AIS) leaves no empty directory
    (tmp_path / "notes.txt").write_text("shopping list\n")
    assert main(["replay", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "new" / "out")]) == 2
    assert not (tmp_path / "new").exists()


def test_sigterm_while_writing_an_output_leaves_no_temp_file(tmp_path: Path) -> None:
    """SIGTERM is raised like Ctrl-C, so the file being written is removed, not left half done."""
    import os
    import signal

    from gnss_watch.cli import _terminate_as_interrupt, _Terminated
    from gnss_watch.outputs import atomic_write

    before = signal.getsignal(signal.SIGTERM)
    try:
        _terminate_as_interrupt()

        def slow_writer(tmp: str) -> None:
            Path(tmp).write_text("half")
            os.kill(os.getpid(), signal.SIGTERM)

        with pytest.raises(_Terminated):
            atomic_write(tmp_path / "events.csv", slow_writer)
    finally:
        signal.signal(signal.SIGTERM, before)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_replay_leaves_no_summary_beside_its_tables(tmp_path: Path, monkeypatch) -> None:
    """summary.json is written last and removed first: new tables must never sit beside an old summary."""
    from gnss_watch import pipeline
    from gnss_watch.results import load_results as load

    src = ROOT / "tests" / "data" / "test_aisdk_20180208_sample.csv"
    out = tmp_path / "out"
    replay(str(src), out_dir=out)
    (out / "report.html").write_text("an earlier run's report")
    assert load(out).summary["lines"]["read"] > 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_zones_geojson", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replay(str(src), out_dir=out)
    assert not (out / "summary.json").exists() and not (out / "report.html").exists()
    with pytest.raises(FileNotFoundError, match="summary.json"):
        load(out)


def test_csv_neutralises_category_columns_too(tmp_path: Path) -> None:
    """A receiving station's name (a category column, from the NMEA tag block) is text from the feed."""
    from gnss_watch.outputs import write_csv

    df = pd.DataFrame({"station": pd.Series(["=HYPERLINK(\"http://x\")", "AISD"], dtype="category"), "n": [1, 2]})
    text = write_csv(tmp_path / "b.csv", df).read_text()
    assert "'=HYPERLINK" in text and "\nAISD," in text


def test_serve_evaluate_and_live_refuse_bad_arguments_before_any_work(tmp_path: Path) -> None:
    """Each a one-line error and exit 2, not a traceback or a feed of noise: serve sends NMEA logs
    only, on a real port, at a real speed; evaluate writes its file where it can and reads a truth
    file, not any JSON; live needs a feed named."""
    from gnss_watch.cli import main

    (tmp_path / "t.csv").write_text("mmsi,timestamp,lat,lon\n230000001,2024-06-01T00:00:00Z,60,25\n")
    (tmp_path / "noise.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "a.json").write_text('{"a": 1}')
    (tmp_path / "dir").mkdir()
    truth = SAMPLE.parent / "gulf_of_finland.truth.json"
    for argv in (["serve", str(tmp_path / "t.csv"), "--port", "0"],
                 ["serve", str(tmp_path / "noise.bin"), "--port", "0"],
                 ["serve", str(tmp_path / "dir"), "--port", "0"],
                 ["serve", str(SAMPLE), "--port", "70000"],
                 ["serve", str(SAMPLE), "--port", "0", "--speed", "nan"],
                 ["evaluate", "--truth", str(tmp_path / "a.json"), "--results", str(tmp_path / "dir")],
                 ["evaluate", "--truth", str(truth), "--results", str(tmp_path / "dir"), "--out", str(tmp_path / "dir")],
                 ["evaluate", "--truth", str(truth), "--results", str(tmp_path / "dir"), "--out", "/proc/gw/e.json"],
                 ["live", "--tcp", "", "--out", str(tmp_path / "lv")]):
        assert main(argv) == 2, argv
