"""The whole job on recorded files: ingest -> tracks -> detection -> outputs.

:func:`replay` is what ``gnss-watch replay`` runs and what notebooks call::

    from gnss_watch import replay
    res = replay(["sample_data/gulf_of_finland.nmea.gz"], out_dir="out")
    res.reports.head()         # every position report: track, checks, scores, kind
    res.events, res.zones      # spoofing/jamming events, jamming zones (shapely polygons)
    res.summary["lines"]       # the accounting of every input line
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .checks import CHECKS
from .config import Config
from .detect import Detection, anomalies, detect
from .ingest import Dataset, read
from .outputs import write_csv, write_json, write_parquet, write_text
from .schema import iso_utc
from .tracks import build_tracks
from .zones import write_zones_geojson


@dataclass
class Results:
    """What a replay produced: the ingested dataset, the detection, and the summary."""

    dataset: Dataset
    detection: Detection
    summary: dict[str, Any] = field(default_factory=dict)
    config: Config = field(default_factory=Config)

    @property
    def reports(self) -> pd.DataFrame:
        """Every position report with track, checks, scores, kind, event and zone ids."""
        return self.detection.reports

    @property
    def events(self) -> pd.DataFrame:
        return self.detection.events

    @property
    def zones(self) -> pd.DataFrame:
        return self.detection.zones

    @property
    def anomalies(self) -> pd.DataFrame:
        return anomalies(self.detection.reports)


def replay(
    inputs: str | list[str],
    out_dir: str | Path | None = None,
    format: str = "auto",
    config: Config | None = None,
    start: str | None = None,
    progress: bool = False,
) -> Results:
    """Run the pipeline over recorded inputs; write the outputs to ``out_dir`` when given.

    Outputs (each written atomically): ``positions.parquet`` (positions with
    track ids and kinematics), ``vessels.csv``, ``base_stations.csv``,
    ``config.toml`` (the configuration used) and
    ``summary.json`` (the line accounting, message counts, time span, vessel
    count and elapsed seconds).
    """
    cfg = config or Config()
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    ds = read(inputs, format=format, config=cfg, start=start, progress=progress)
    timings["ingest"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    tracks = build_tracks(ds.positions, cfg.tracks)
    timings["tracks"] = time.perf_counter() - t1
    det = detect(tracks, ds.vessels, ds.base_stations, cfg)
    timings.update(det.timings)

    summary = summarize(ds, tracks, det)
    res = Results(ds, det, summary, cfg)
    if out_dir is not None:
        t2 = time.perf_counter()
        # summary.json comes last: a directory without one holds an interrupted run, which loading refuses,
        # rather than new tables beside an earlier run's summary and report.
        for stale in ("summary.json", "report.html", "report.pdf"):
            (Path(out_dir) / stale).unlink(missing_ok=True)
        write_outputs(res, out_dir)
        timings["outputs"] = time.perf_counter() - t2
    summary["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    summary["elapsed_s"] = round(time.perf_counter() - t0, 3)
    if out_dir is not None:
        write_json(Path(out_dir) / "summary.json", summary)
    return res


def summarize(ds: Dataset, tracks: pd.DataFrame, det: Detection) -> dict[str, Any]:
    """summary.json without timings: inputs, line accounting, time span, counts, detection counts."""
    first, last = ds.time_span
    ev = det.events
    return {
        "version": __version__,
        "inputs": ds.accounting.sources,
        **ds.accounting.to_dict(),
        "time_span": {"start": iso_utc(first), "end": iso_utc(last)},
        "vessels": int(ds.positions["mmsi"].nunique()),
        "positions": len(ds.positions),
        "positions_unavailable": int(ds.positions["lat"].isna().sum()),
        "segments": int(tracks["segment"].nunique()) if len(tracks) else 0,
        "base_stations": int(ds.base_stations["mmsi"].nunique()),
        "static_vessels": len(ds.vessels),
        "detection": {
            "flagged_reports": {k: int(v) for k, v in det.reports["kind"].value_counts().items() if k},
            "checks_fired": {c: int(det.reports[c].sum()) for c in CHECKS},
            "spoofing_events": int((ev["kind"] == "spoofing").sum()),
            "spoofed_vessels": int(ev.loc[ev["kind"] == "spoofing", "mmsi"].nunique()),
            "jamming_events": int((ev["kind"] == "jamming").sum()),
            "jammed_vessels": int(ev.loc[ev["kind"] == "jamming", "mmsi"].nunique()),
            "jamming_zones": len(det.zones),
        },
    }


def write_outputs(res: Results, out_dir: str | Path) -> None:
    """Write the tables of a replay into ``out_dir`` (summary.json is written by :func:`replay`)."""
    out = Path(out_dir)
    det = res.detection
    write_parquet(out / "positions.parquet", det.reports)
    write_csv(out / "anomalies.csv", res.anomalies)
    write_csv(out / "events.csv", det.events)
    write_zones_geojson(det.zones, out / "zones.geojson")
    write_csv(out / "grid.csv", det.grid)
    write_csv(out / "vessels.csv", res.dataset.vessels)
    write_csv(out / "base_stations.csv", det.base_stations)
    # The configuration the results came from, so a report made later states the real method.
    write_text(out / "config.toml", res.config.to_toml())
