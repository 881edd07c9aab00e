"""Incremental detection over a sliding window, with alerts on what changed.

:class:`LiveMonitor` is fed raw NMEA lines (:meth:`feed_lines`) or
Digitraffic MQTT messages (:meth:`feed_mqtt`). It decodes them incrementally
(:class:`gnss_watch.ingest.NmeaDecoder`, whose fragment buffers and duplicate
memory carry over between reads), keeps the positions, static reports and
base-station reports of the last ``LiveConfig.window_s`` seconds of data time,
and every step (``step_s`` wall seconds, or ``step_data_s`` of data time,
whichever comes first) runs :func:`gnss_watch.tracks.build_tracks` and
:func:`gnss_watch.detect.detect` over the window -- the same code as a replay.

A window run sees each event only as far as the window reaches, and numbers
events afresh. The monitor keeps its own events and zones with stable ids and
folds each run's findings into them:

* a detected event continues a stored one of the same MMSI and kind when
  their times overlap, allowing the gap that would merge them in a replay
  (``events.merge_gap_s`` for spoofing, ``zones.episode_gap_s`` for jamming);
* a detected zone continues a stored zone whose polygon it intersects and
  whose time it overlaps within ``zones.episode_gap_s``;
* anything else opens a new event or zone.

Alerts (one JSON object per line, to stdout via ``emit`` and appended to
``DIR/alerts.jsonl``) are raised for spoofing events and jamming zones:
``open``, ``grow`` (at most once per ``grow_interval_s`` of data time; a zone
must gain vessels or ``zone_grow_ratio`` of radius) and ``close`` (no new
reports for ``close_after_s`` of data time). Jamming events (one per vessel
episode) are recorded, not alerted: the zone is the news.

Time: the feed's own (tag blocks, Digitraffic ``time``) when present, else
arrival time; alerts and the status line say which (``time_source``).
"""

from __future__ import annotations

import bisect
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from shapely import wkt

from ..config import Config
from ..detect import Detection, detect
from ..ingest import Accounting, Dataset, NmeaDecoder, fold_vessels
from ..ingest.base import Batch
from ..ingest.tables import digitraffic_batch
from ..outputs import write_csv, write_json, write_parquet
from ..schema import BASE_STATION_DTYPES, POSITION_DTYPES, conform, empty, iso_utc, unix_seconds
from ..pipeline import Results, summarize, write_outputs
from ..tracks import build_tracks
from ..zones import write_zones_geojson
from .store import EVENT_FIELDS, ZONE_FIELDS, Store

_DEDUP_COLS = ["mmsi", "time", "lat", "lon", "msg_type"]
# Counters status.json always carries, zeros included, so a reader need not guess a missing key.
STATUS_COUNTS = ("positions", "stale", "duplicate_rows", "steps", "alerts", "reconnects", "dropped_datagrams")


def unix(text: str) -> float:
    return pd.Timestamp(text).timestamp()


def _num(v: Any) -> Any:
    """A plain JSON/SQLite value: None for NaN/NA, Python scalars for numpy ones."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


class DirectoryBusy(Exception):
    """Another monitor holds the output directory: two would alert every event twice."""


def _lock_dir(out: Path) -> Any:
    """An exclusive lock on ``out`` (``live.lock``), held while the returned file is open."""
    fh = open(out / "live.lock", "a+")
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return fh
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise DirectoryBusy(f"{out}: in use by another 'gnss-watch live' (one monitor per directory)") from None
    return fh


class LiveMonitor:
    """Sliding-window detector with persistent events, zones and alerts in ``out_dir``.

    ``emit`` receives each alert dict (the CLI prints it as a JSON line).
    ``clock`` is the wall clock (unix seconds), replaceable in tests.
    """

    def __init__(self, out_dir: str | Path, config: Config | None = None, source: str = "live",
                 emit: Callable[[dict[str, Any]], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.cfg = config or Config()
        self.lc = self.cfg.live
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_dir(self.out)
        self.emit = emit or (lambda a: None)
        self.clock = clock
        self.store = Store(self.out / "live.sqlite")
        self.acct = Accounting()
        self.decoder = NmeaDecoder(source, self.cfg.ingest, self.acct)
        self.source = source
        hwm = self.store.get("hwm")
        self.hwm = float(hwm) if hwm is not None else -math.inf  # newest data time processed, unix s
        self.resumed = hwm is not None
        self.positions = empty(POSITION_DTYPES)  # the window
        self.static = pd.DataFrame()  # static reports of vessels in the window
        self.base_stations = empty(BASE_STATION_DTYPES)
        self.pending: list[Batch] = []  # decoded since the last step
        self.recent_keys = np.empty(0, dtype=np.uint64)  # (mmsi, time, lat, lon, type) hashes, last stale_s
        self.recent_t = np.empty(0)
        self.arrivals: tuple[list[float], list[float]] = ([], [])  # running max data time, its arrival (wall)
        self.events: dict[str, dict[str, Any]] = {}
        self.zones: dict[str, dict[str, Any]] = {}
        # The last step's (tracks, detection, window->stable event ids, window->stable zone ids).
        self.snapshot: tuple[pd.DataFrame, Detection, dict[str, str], dict[str, str]] | None = None
        self.counts: Counter = Counter()  # STATUS_COUNTS
        self.time_sources: Counter = Counter()
        now = clock()
        self.started = now
        self.last_step = self.last_refresh = now
        self.step_cost = 0.0  # wall seconds the last step took
        self._rate_mark = (now, 0)  # (wall time, messages) at the last status line
        self.step_hwm = self.hwm
        self._load()

    # -- state ---------------------------------------------------------------------------------
    def _load(self) -> None:
        since = iso_utc(self.hwm - self.lc.window_s) if self.hwm > -math.inf else ""
        for e in self.store.recent_events(since):
            e["start_s"], e["end_s"] = unix(e["start"]), unix(e["end"])
            e["alert_end_s"] = e["end_s"]  # no 'grow' alert right after a restart
            self.events[e["event_id"]] = e
        for z in self.store.recent_zones(since):
            z["start_s"], z["end_s"] = unix(z["start"]), unix(z["end"])
            z["geom"] = wkt.loads(z["geometry"])
            z.update(alert_end_s=z["end_s"], alert_radius_km=z["radius_km"], alert_n_vessels=z["n_vessels"])
            self.zones[z["zone_id"]] = z
        state = self.out / "state"
        if (state / "positions.parquet").exists():
            self.positions = conform(pd.read_parquet(state / "positions.parquet"), POSITION_DTYPES)
            if (state / "static.parquet").exists():
                self.static = pd.read_parquet(state / "static.parquet")
            if (state / "base_stations.parquet").exists():
                self.base_stations = conform(pd.read_parquet(state / "base_stations.parquet"),
                                             BASE_STATION_DTYPES)
            if len(self.positions):
                t = unix_seconds(self.positions["time"])
                recent = t >= self.hwm - self.lc.stale_s
                self.recent_keys = _keys(self.positions[recent])
                self.recent_t = t[recent]

    def save_state(self) -> None:
        """Write the window as of the last step (so a restart resumes with context) and commit the database.

        Data decoded since the last step is not in it; the saved cursor is the last step's, so a
        restart after a crash takes that data again instead of dropping it as stale.
        """
        state = self.out / "state"
        write_parquet(state / "positions.parquet", self.positions)
        write_parquet(state / "static.parquet", self.static)
        write_parquet(state / "base_stations.parquet", self.base_stations)
        if self.step_hwm > -math.inf:
            self.store.set("hwm", repr(self.step_hwm))
        self.store.commit()

    # -- input ---------------------------------------------------------------------------------
    def feed_lines(self, lines: list[bytes], arrival: float) -> None:
        """Raw NMEA lines (complete lines, without newline) received at ``arrival`` (unix s)."""
        if lines:
            self._add(self.decoder.feed(lines, arrival=arrival), arrival)

    def feed_mqtt(self, messages: list[tuple[str, bytes]], arrival: float) -> None:
        """Digitraffic MQTT messages ``(topic, payload)``: ``vessels-v2/MMSI/location|metadata`` JSON."""
        records = []
        for topic, payload in messages:
            self.acct.read += 1
            parts = topic.split("/")
            try:
                rec = json.loads(payload)
            except (ValueError, RecursionError):
                rec = None
            mmsi = parts[1] if len(parts) >= 3 else ""
            if not isinstance(rec, dict) or not (mmsi.isascii() and mmsi.isdigit() and len(mmsi) <= 9):
                self.acct.skip("malformed")
                continue
            rec.setdefault("mmsi", int(mmsi))
            records.append(rec)
        batch = digitraffic_batch(records, self.acct) if records else None
        if batch is not None:
            self._add(batch, arrival)

    def _add(self, batch: Batch, arrival: float) -> None:
        pos = batch.positions
        lc = self.lc
        prev = self.hwm  # the cursor before this batch: what is older than stale_s behind it is a re-send
        floor = prev - lc.stale_s
        if len(pos):
            t = unix_seconds(pos["time"])
            # A few reports over a window ahead of the cursor are clock errors, not news; a batch mostly
            # that far ahead (the first one, or a feed back after a long outage) moves the cursor to its
            # median, so one report with a wild clock can never set it.
            if np.mean(t > prev + lc.window_s) > 0.5:
                prev = float(np.median(t))
                floor = prev - lc.window_s
            fresh = (t >= floor) & (t <= prev + lc.window_s)
            if fresh.any():
                # The newest report moves the cursor at most stale_s past the batch's median: one
                # report with a fast clock must not make the good ones after it look stale.
                self.hwm = max(prev, min(float(t[fresh].max()), float(np.median(t[fresh])) + lc.stale_s))
            keys = _keys(pos)
            horizon = self.recent_t >= self.hwm - lc.stale_s
            self.recent_keys, self.recent_t = self.recent_keys[horizon], self.recent_t[horizon]
            dup = np.isin(keys, self.recent_keys) | pd.Series(keys).duplicated().to_numpy()
            self.counts["stale"] += int((~fresh).sum())
            self.counts["duplicate_rows"] += int((fresh & dup).sum())
            keep = fresh & ~dup
            if not keep.all():
                pos, keys, t = pos[keep], keys[keep], t[keep]
            self.recent_keys = np.concatenate([self.recent_keys, keys])
            self.recent_t = np.concatenate([self.recent_t, t])
            self.counts["positions"] += len(pos)
            self.time_sources.update(pos["time_source"].astype(str).value_counts().to_dict())
            times, walls = self.arrivals
            if len(t) and (not times or self.hwm > times[-1]):
                times.append(self.hwm)
                walls.append(arrival)
        static, bs = batch.static, batch.base_stations
        if floor > -math.inf:  # static and base-station reports re-sent after a reconnect are stale too
            if len(static):
                static = static[unix_seconds(static["time"]) >= floor]
            if len(bs):
                bs = bs[unix_seconds(bs["time"]) >= floor]
        if len(pos) or len(static) or len(bs):
            self.pending.append(Batch(pos, static, bs))

    def _merge_pending(self) -> None:
        """Fold pending batches into the window and drop what fell out of it (bounded memory)."""
        start = self.hwm - self.lc.window_s
        parts, self.pending = self.pending, []
        pos = [p.positions for p in parts if len(p.positions)]
        if pos:
            self.positions = conform(pd.concat([self.positions, *pos], ignore_index=True), POSITION_DTYPES)
        if len(self.positions):
            self.positions = self.positions[unix_seconds(self.positions["time"]) >= start].reset_index(drop=True)
        bs = [p.base_stations for p in parts if len(p.base_stations)]
        if bs:
            self.base_stations = conform(pd.concat([self.base_stations, *bs], ignore_index=True),
                                         BASE_STATION_DTYPES)
        if len(self.base_stations):
            keep = unix_seconds(self.base_stations["time"]) >= start
            self.base_stations = self.base_stations[keep].reset_index(drop=True)
        st = [p.static for p in parts if len(p.static)]
        if st:
            self.static = pd.concat([self.static, *st], ignore_index=True)
        if len(self.static):
            # Static data of vessels still in the window is kept past it (sent every 6 min), folded
            # into one row per vessel so a ship in range for days does not grow it.
            recent = unix_seconds(self.static["time"]) >= start
            old = self.static[~recent & self.static["mmsi"].isin(self.positions["mmsi"]).to_numpy()]
            if len(old):
                folded = fold_vessels(old).drop(columns="n_static")
                folded["time"] = old.groupby("mmsi")["time"].max().reindex(folded["mmsi"]).to_numpy()
                old = folded
            self.static = pd.concat([old, self.static[recent]], ignore_index=True)
        times, walls = self.arrivals
        cut = bisect.bisect_left(times, start)
        del times[:cut], walls[:cut]

    # -- detection -----------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> list[dict[str, Any]]:
        """Run a step if one is due; refresh the outputs if due. Returns the alerts raised."""
        now = self.clock() if now is None else now
        alerts: list[dict[str, Any]] = []
        # a wall-clock step waits at least as long as the last run took, so detection never takes
        # more than half the time from reading (a busy feed and a long window: runs of several seconds)
        if self.pending and (now - self.last_step >= max(self.lc.step_s, self.step_cost)
                             or self.hwm - self.step_hwm >= self.lc.step_data_s):
            alerts = self.step()
        if now - self.last_refresh >= self.lc.refresh_s:
            self.refresh()
        return alerts

    def step(self) -> list[dict[str, Any]]:
        """Detect over the window, fold the findings into the stored events/zones, raise alerts."""
        started = now = self.clock()
        self._merge_pending()
        self.step_hwm = self.hwm
        self.counts["steps"] += 1
        alerts: list[dict[str, Any]] = []
        if len(self.positions) >= 2:
            tracks = build_tracks(self.positions, self.cfg.tracks)
            det = detect(tracks, fold_vessels(self.static), self.base_stations, self.cfg)
            now = self.clock()  # alerts are stamped when detection is done: latency includes it
            zone_map = self._fold_zones(det.zones, now, alerts)
            event_map = self._fold_events(det.events, zone_map, now, alerts)
            self.snapshot = (tracks, det, event_map, zone_map)
        self._close(now, alerts)
        self._forget()
        self.last_step = self.clock()
        self.step_cost = self.last_step - started
        self.store.upsert_events([e for e in self.events.values() if e.pop("_dirty", False)])
        self.store.upsert_zones([z for z in self.zones.values() if z.pop("_dirty", False)])
        # The database first: after a crash between the two, an alert is in the database (and so
        # never raised again) though missing from alerts.jsonl, rather than raised twice.
        if alerts:
            self.store.add_alerts(alerts)
        if self.hwm > -math.inf:
            self.store.set("hwm", repr(self.hwm))
        self.store.commit()
        if alerts:
            with open(self.out / "alerts.jsonl", "a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(a) + "\n" for a in alerts)
            self.counts["alerts"] += len(alerts)
        for a in alerts:
            self.emit(a)
        return alerts

    def _latency(self, data_t: float, now: float) -> float | None:
        """Wall seconds from the arrival of the data holding time ``data_t`` to now.

        The cursor is held to a batch's median + stale_s (one fast clock must not move it), so
        a report past it (a batch spanning more, as a log read from its start) came with the
        latest batch recorded, or before: its latency is at least that batch's."""
        times, walls = self.arrivals
        if not times:
            return None
        return round(now - walls[min(bisect.bisect_left(times, data_t), len(times) - 1)], 3)

    def _alert(self, action: str, kind: str, item: dict[str, Any], now: float) -> dict[str, Any]:
        a: dict[str, Any] = {"alert": action, "type": kind, "id": item.get("event_id") or item["zone_id"],
                             "data_time": iso_utc(self.hwm), "wall_time": iso_utc(now),
                             "time_source": self.time_source}
        if kind == "spoofing_event":
            a.update({k: _num(item[k]) for k in ("mmsi", "start", "end", "n_reports", "lat", "lon", "score",
                                                 "reasons", "true_lat", "true_lon")})
        else:
            a.update({k: _num(item[k]) for k in ("start", "end", "n_vessels", "n_reports", "confidence",
                                                 "centre_lat", "centre_lon", "radius_km", "method")})
        if action == "open":
            a["latency_s"] = self._latency(item["end_s"], now)
        item["alert_end_s"] = item["end_s"]
        return a

    def _fold_events(self, detected: pd.DataFrame, zone_map: dict[str, str], now: float,
                     alerts: list[dict[str, Any]]) -> dict[str, str]:
        """Fold detected events into stored ones; return window event id -> stable event id."""
        mapping: dict[str, str] = {}
        if not len(detected):
            return mapping
        by_key: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for e in self.events.values():
            by_key.setdefault((e["mmsi"], e["kind"]), []).append(e)
        gaps = {"spoofing": self.cfg.events.merge_gap_s, "jamming": self.cfg.zones.episode_gap_s}
        d = detected.assign(start_s=unix_seconds(detected["start"]), end_s=unix_seconds(detected["end"]))
        for r in d.to_dict("records"):  # tens of events per run
            kind, mmsi = r["kind"], int(r["mmsi"])
            gap = gaps[kind]
            match = next((e for e in sorted(by_key.get((mmsi, kind), []), key=lambda e: e["start_s"])
                          if r["start_s"] <= e["end_s"] + gap and r["end_s"] >= e["start_s"] - gap), None)
            row = {k: _num(r[k]) for k in ("lat", "lon", "score", "true_lat", "true_lon", "claimed_lat",
                                          "claimed_lon")}
            zone = _num(r["zone_id"])
            row.update(mmsi=mmsi, kind=kind, n_reports=int(r["n_reports"]), reasons=_num(r["reasons"]) or "",
                       zone_id=zone_map.get(zone, "") if zone else "", group_id="")
            if match is None:
                e = {**row, "event_id": self.store.next_id("S" if kind == "spoofing" else "JE", 6),
                     "start_s": r["start_s"], "end_s": r["end_s"], "status": "open", "_dirty": True}
                self._times(e)
                self.events[e["event_id"]] = e
                mapping[r["event_id"]] = e["event_id"]
                by_key.setdefault((mmsi, kind), []).append(e)
                if kind == "spoofing":
                    alerts.append(self._alert("open", "spoofing_event", e, now))
                continue
            e = match
            mapping[r["event_id"]] = e["event_id"]
            grew = r["end_s"] > e["end_s"]
            if not grew and r["start_s"] >= e["start_s"] and r["n_reports"] <= e["n_reports"]:
                continue  # nothing new
            reasons = sorted({x for x in f'{e["reasons"] or ""};{row["reasons"]}'.split(";") if x})
            e.update(start_s=min(e["start_s"], r["start_s"]), end_s=max(e["end_s"], r["end_s"]),
                     n_reports=max(e["n_reports"], row["n_reports"]), reasons=";".join(reasons),
                     score=max(e["score"] or 0.0, row["score"] or 0.0), _dirty=True)
            if grew:  # the latest sighting's position
                e.update({k: row[k] for k in ("lat", "lon", "claimed_lat", "claimed_lon")})
                e["zone_id"] = row["zone_id"] or e["zone_id"]
            self._times(e)
            reopened = e["status"] == "closed" and grew and self._recent(e)
            if reopened:
                e["status"] = "open"
            if kind == "spoofing" and grew and e["status"] == "open" and (reopened or e["end_s"] - e.get("alert_end_s", e["start_s"])
                                                >= self.lc.grow_interval_s):
                alerts.append(self._alert("grow", "spoofing_event", e, now))
        return mapping

    def _fold_zones(self, detected: pd.DataFrame, now: float, alerts: list[dict[str, Any]]) -> dict[str, str]:
        """Fold detected zones into stored ones; return window zone id -> stable zone id."""
        mapping: dict[str, str] = {}
        gap = self.cfg.zones.episode_gap_s
        lc = self.lc
        for r in detected.to_dict("records"):  # a handful of zones
            s, t = pd.Timestamp(r["start"]).timestamp(), pd.Timestamp(r["end"]).timestamp()
            geom = r["geometry"]
            match = next((z for z in sorted(self.zones.values(), key=lambda z: z["start_s"])
                          if s <= z["end_s"] + gap and t >= z["start_s"] - gap and z["geom"].intersects(geom)), None)
            row = {k: _num(r[k]) for k in ("n_vessels", "n_reports", "confidence", "centre_lon", "centre_lat",
                                          "radius_km", "method", "n_base_station_reports")}
            if match is None:
                z = {**row, "zone_id": self.store.next_id("Z", 5), "start_s": s, "end_s": t, "geom": geom,
                     "status": "open", "_dirty": True, "alert_radius_km": row["radius_km"],
                     "alert_n_vessels": row["n_vessels"]}
                self._times(z)
                self.zones[z["zone_id"]] = z
                mapping[r["zone_id"]] = z["zone_id"]
                alerts.append(self._alert("open", "jamming_zone", z, now))
                continue
            z = match
            mapping[r["zone_id"]] = z["zone_id"]
            grew = t > z["end_s"]
            changed = grew or s < z["start_s"] or row["n_reports"] > z["n_reports"]
            if not changed:
                continue
            if row["n_reports"] >= z["n_reports"]:  # the better-sampled shape
                z.update({k: row[k] for k in ("centre_lon", "centre_lat", "radius_km", "method")}, geom=geom)
            z.update(start_s=min(z["start_s"], s), end_s=max(z["end_s"], t),
                     n_vessels=max(z["n_vessels"], row["n_vessels"]), n_reports=max(z["n_reports"], row["n_reports"]),
                     confidence=max(z["confidence"], row["confidence"]),
                     n_base_station_reports=max(z["n_base_station_reports"], row["n_base_station_reports"]),
                     _dirty=True)
            self._times(z)
            reopened = z["status"] == "closed" and grew and self._recent(z)
            if reopened:
                z["status"] = "open"
            bigger = (z["radius_km"] >= z["alert_radius_km"] * lc.zone_grow_ratio
                      or z["n_vessels"] > z["alert_n_vessels"])
            if reopened or (grew and bigger and z["status"] == "open" and z["end_s"] - z["alert_end_s"] >= lc.grow_interval_s):
                alerts.append(self._alert("grow", "jamming_zone", z, now))
                z["alert_radius_km"], z["alert_n_vessels"] = z["radius_km"], z["n_vessels"]
        return mapping

    def _recent(self, item: dict[str, Any]) -> bool:
        """Reports within ``close_after_s`` of the cursor: a closed item extended this late reopens.

        An item extended only in the past (a later run flagged one more old report) stays closed,
        its record updated without an alert.
        """
        return item["end_s"] >= self.hwm - self.lc.close_after_s

    @staticmethod
    def _times(item: dict[str, Any]) -> None:
        item["start"], item["end"] = iso_utc(item["start_s"]), iso_utc(item["end_s"])
        if "geom" in item:
            item["geometry"] = item["geom"].wkt
        item["updated"] = iso_utc(time.time())

    def _close(self, now: float, alerts: list[dict[str, Any]]) -> None:
        limit = self.hwm - self.lc.close_after_s
        for kind, items in (("spoofing_event", self.events), ("jamming_zone", self.zones)):
            for item in items.values():
                if item["status"] == "open" and item["end_s"] < limit:
                    item.update(status="closed", _dirty=True, updated=iso_utc(time.time()))
                    if kind == "jamming_zone" or item["kind"] == "spoofing":
                        alerts.append(self._alert("close", kind, item, now))

    def _forget(self) -> None:
        """Drop closed items that no window run can reach any more (they stay in the database)."""
        limit = self.hwm - self.lc.window_s - max(self.cfg.events.merge_gap_s, self.cfg.zones.episode_gap_s)
        for items in (self.events, self.zones):
            for k in [k for k, v in items.items() if v["status"] == "closed" and v["end_s"] < limit
                      and not v.get("_dirty")]:
                del items[k]

    # -- outputs -------------------------------------------------------------------------------
    @property
    def time_source(self) -> str:
        """Where data times come from: the commonest time source of the reports so far."""
        return self.time_sources.most_common(1)[0][0] if self.time_sources else "none"

    def refresh(self) -> None:
        """Rewrite the outputs (all atomic): events.csv and zones.geojson (the whole history),
        status.json, the saved window, and after a first step the window as a replay output
        directory holds it (positions.parquet with every report's checks and scores, ids mapped
        to the stable ones, anomalies.csv, grid.csv, vessels.csv, base_stations.csv,
        config.toml, summary.json): so ``gnss-watch report DIR`` makes a report on demand."""
        self.last_refresh = self.clock()
        self.save_state()
        events = pd.DataFrame(self.store.table("events"), columns=EVENT_FIELDS)
        zones = pd.DataFrame(self.store.table("zones"), columns=ZONE_FIELDS)
        if len(zones):
            zones = zones.assign(geometry=zones["geometry"].map(wkt.loads),
                                 start=pd.to_datetime(zones["start"]), end=pd.to_datetime(zones["end"]))
        else:
            zones = pd.DataFrame(columns=["zone_id", "geometry"])
        status = self.status()
        write_json(self.out / "status.json", status)
        if self.snapshot is None:  # no detection yet: the history alone
            write_csv(self.out / "events.csv", events)
            write_zones_geojson(zones, self.out / "zones.geojson")
            return
        tracks, det, event_map, zone_map = self.snapshot
        reports = det.reports.assign(event_id=det.reports["event_id"].map(event_map).fillna(""),
                                     zone_id=det.reports["zone_id"].map(zone_map).fillna(""))
        ds = Dataset(positions=self.positions, vessels=fold_vessels(self.static), base_stations=self.base_stations,
                     accounting=self.acct)
        window = Detection(reports, events, zones, det.grid, det.base_stations)
        write_outputs(Results(ds, window, config=self.cfg), self.out)
        # Detection counts: reports of the window, events and zones of the whole history.
        summary = {**summarize(ds, tracks, window), "inputs": {self.source: "live"}, "live": status}
        write_json(self.out / "summary.json", summary)

    def status(self) -> dict[str, Any]:
        elapsed = max(self.clock() - self.started, 1e-9)
        return {
            "source": self.source,
            "time_source": self.time_source,
            "data_time": iso_utc(self.hwm) if self.hwm > -math.inf else None,
            "resumed": self.resumed,
            "elapsed_s": round(elapsed, 3),
            "messages": self.acct.decoded,
            "messages_per_s": round(self.acct.decoded / elapsed, 1),
            "vessels": int(self.positions["mmsi"].nunique()),
            "window_positions": len(self.positions),
            "open_spoofing_events": sum(e["status"] == "open" and e["kind"] == "spoofing"
                                        for e in self.events.values()),
            "open_zones": sum(z["status"] == "open" for z in self.zones.values()),
            **{k: int(self.counts[k]) for k in STATUS_COUNTS},
            "accounting": self.acct.to_dict(),
        }

    def status_line(self) -> str:
        """One line for stderr; the rate is over the time since the previous status line."""
        s = self.status()
        now, (t_prev, n_prev) = self.clock(), self._rate_mark
        rate = (s["messages"] - n_prev) / max(now - t_prev, 1e-9)
        self._rate_mark = (now, s["messages"])
        skipped = sum(s["accounting"]["lines"]["skipped"].values())
        return (f"{s['data_time'] or '-'} ({s['time_source']} time): {s['messages']:,} msgs "
                f"({rate:,.0f}/s), {s['vessels']} vessels, {s['open_spoofing_events']} open "
                f"spoofing events, {s['open_zones']} open zones, {skipped:,} lines skipped, "
                f"{s.get('alerts', 0)} alerts")

    def close(self) -> None:
        """Flush: a last detection step, the outputs and the state (for a clean exit)."""
        self._finish_decoder()
        if self.pending:
            self.step()
        self.refresh()
        self.store.close()
        self._lock.close()  # releases the directory

    def _finish_decoder(self) -> None:
        """Leftover NMEA fragments are incomplete: count them (their messages never arrived)."""
        batch = self.decoder.finish()
        if len(batch.positions) or len(batch.static) or len(batch.base_stations):
            self._add(batch, self.clock())


def _keys(pos: pd.DataFrame) -> np.ndarray:
    """A hash per position row identifying the report (re-sent copies hash alike)."""
    return pd.util.hash_pandas_object(pos[_DEDUP_COLS], index=False).to_numpy()
