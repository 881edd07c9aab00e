"""Jamming events and zones from the per-report table: episodes -> clusters -> discs -> witnesses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry import mapping

from ..events import EVENT_COLUMNS, epoch_s, sorted_columns, to_time
from ..config import ZonesConfig
from ..geo import haversine_m
from ..outputs import write_json
from ..schema import iso_utc
from .cluster import _cluster, _merge_cotimed, _own_windows, _split_cluster, _split_space
from .episodes import _episodes, _good_fixes
from .shape import _sample_times, disc_polygon, fit_disc, share_discs
from .witnesses import _base_station_support, _held_fixes, _lone_losses, _silences, _station_outage_window

ZONE_COLUMNS = ["zone_id", "start", "end", "n_vessels", "n_reports", "confidence", "centre_lon", "centre_lat",
                "radius_km", "method", "n_base_station_reports", "geometry"]
JAM_EVENT_COLUMNS = EVENT_COLUMNS[:11]  # the events.csv columns
#: The largest disc a zone's evidence allows (see :func:`_at_reach`), kept while building.
_REACH_COLUMNS = ["reach_lat", "reach_lon", "reach_radius_km"]


def build_jamming(
    reports: pd.DataFrame, config: ZonesConfig | None = None, bs_flags: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Jamming events per vessel episode, jamming zones, and each report's zone id.

    Needs ``time, mmsi, lat, lon, pos_valid, score, kind, reasons``, and reads
    ``device`` where present (type 27 fixes, 'A-LR', are too coarse to be held).
    ``bs_flags`` (optional: ``time, lat, lon, bs_time_invalid``, one row per
    base-station report) supports zones where stations lost GNSS time; it
    never makes a zone on its own. Returns

    - events: :data:`JAM_EVENT_COLUMNS`, kind 'jamming', ids JE0001... by
      (start, mmsi); ``lat``/``lon`` the middle of the crossing (NaN when no
      fix lies within ``locate_max_gap_s``), ``zone_id`` '' when in no zone;
      also vessels silent inside a zone (reasons 'silent', ``n_reports`` 0,
      start/end the fixes around the silence, score the zone's confidence),
      vessels repeating one fix inside a zone (reasons 'held_fix', see
      :func:`.witnesses._held_fixes`), and vessels that lost it for a single report inside
      a zone (:func:`.witnesses._lone_losses`);
    - zones: :data:`ZONE_COLUMNS` (``geometry`` a lon/lat shapely Polygon,
      ``radius_km``, ``method`` of the shape);
    - a Series on ``reports``' index: the zone id of jamming reports in a
      zone, else ''.
    """
    cfg = config or ZonesConfig()
    order, df = sorted_columns(reports, ["time", "mmsi", "lat", "lon", "sog", "pos_valid", "score", "kind", "reasons",
                                         "device", "station"])
    t = epoch_s(df["time"])
    good_fix = _good_fixes(df)
    episodes, interior, row_ep = _episodes(df, t, good_fix, cfg)
    labels = _cluster(episodes, cfg)

    mmsi = df["mmsi"].to_numpy()
    lat, lon = df["lat"].to_numpy(dtype=float), df["lon"].to_numpy(dtype=float)
    # Good fixes outside any episode of the vessel: ships keeping their fix. To set two
    # groups of crossings apart a fix must be seen live: one repeating the vessel's last
    # report exactly may be held (a ship at anchor holding it reads as a good fix).
    free = good_fix & (row_ep < 0)
    repeat = np.r_[False, (mmsi[1:] == mmsi[:-1]) & (lat[1:] == lat[:-1]) & (lon[1:] == lon[:-1])]
    live = free & ~repeat
    good = pd.DataFrame({"lat": lat[live], "lon": lon[live], "t": t[live], "mmsi": mmsi[live]}).sort_values(
        "t", kind="stable", ignore_index=True)

    # Split clusters where ships kept their fix between two groups, then where jammers
    # switched on and off at different times.
    windows: list[tuple[float, float]] = []
    zone_label = np.full(len(episodes), -1)
    for label in np.unique(labels[labels >= 0]).tolist():  # one pass per cluster
        cluster = np.flatnonzero(labels == label)
        side = _split_space(episodes.iloc[cluster], good, cfg)
        for g in np.unique(side).tolist():  # one or two
            members = cluster[side == g]
            sub, sub_windows = _split_cluster(episodes.iloc[members], cfg)
            zone_label[members] = sub + len(windows)
            windows += _own_windows(episodes.iloc[members], sub, sub_windows, cfg)
    zone_label, windows = _merge_cotimed(episodes, zone_label, windows, good, cfg)
    zones = []
    zone_of_label: dict[int, int] = {}
    for label, window in enumerate(windows):  # one pass per zone
        members = np.flatnonzero(zone_label == label)
        e = episodes.iloc[members]
        if e["n_reports"].sum() < cfg.min_zone_reports or e["mmsi"].nunique() < cfg.min_zone_vessels:
            continue
        start_s, end_s = window
        # Ships inside when the jammer switches on (off) lose (regain) the fix
        # where they are, not at the edge: their entry (exit) is an interior point.
        entry = e[(e["start_s"] > start_s + cfg.onset_window_s).to_numpy()]
        exit_ = e[(e["end_s"] < end_s - cfg.onset_window_s).to_numpy()]
        blat = np.r_[entry["entry_lat"].dropna(), exit_["exit_lat"].dropna()]
        blon = np.r_[entry["entry_lon"].dropna(), exit_["exit_lon"].dropna()]
        inner = interior[interior["ep"].isin(members)]
        alat = np.r_[inner["lat"], e["p_lat"], e["q_lat"]]
        alon = np.r_[inner["lon"], e["p_lon"], e["q_lon"]]
        both = entry.index.intersection(exit_.index)
        chords = episodes.loc[both, ["entry_lat", "entry_lon", "exit_lat", "exit_lon"]].to_numpy()
        disc = fit_disc(blat, blon, alat, alon, cfg, chords=chords)
        # Where the jammed ships were (a straight run from loss to recovery) and
        # the good fixes of other ships around during the zone.
        # (while this zone was on: an episode may run on from a neighbour's).
        ok = e[["p_lat", "q_lat"]].notna().all(axis=1).to_numpy()
        es, ef = e["start_s"].to_numpy()[ok], e["end_s"].to_numpy()[ok]
        rep, ts = _sample_times(np.maximum(es, start_s), np.minimum(ef, end_s), cfg.share_step_s)
        frac = (ts - es[rep]) / np.maximum(ef[rep] - es[rep], 1.0)
        ends = e[["p_lat", "p_lon", "q_lat", "q_lon"]].to_numpy()[ok][rep]
        jlat = ends[:, 0] + frac * (ends[:, 2] - ends[:, 0])
        jlon = ends[:, 1] + frac * (ends[:, 3] - ends[:, 1])
        during = free & (t >= start_s) & (t <= end_s)
        near = np.flatnonzero(during)[haversine_m(lat[during], lon[during], disc["centre_lat"], disc["centre_lon"])
                                      <= disc["radius_m"] + cfg.max_radius_m]
        thin = pd.DataFrame({"m": mmsi[near], "b": np.floor(t[near] / cfg.share_step_s)}).duplicated().to_numpy()
        near = near[~thin]
        jv = e["mmsi"].to_numpy()[ok][rep]
        jw = 1.0 / pd.Series(jv).map(pd.Series(jv).value_counts()).to_numpy()
        gw = 1.0 / pd.Series(mmsi[near]).map(pd.Series(mmsi[near]).value_counts()).to_numpy()
        discs = share_discs(jlat, jlon, lat[near], lon[near], disc["centre_lat"], disc["centre_lon"],
                            disc["radius_m"], cfg, jam_weight=jw, good_weight=gw)
        (clat, clon, radius), (wlat, wlon, wradius) = discs["middle"], discs["largest"]
        disc.update(centre_lat=clat, centre_lon=clon, radius_m=radius)
        n_vessels = int(e["mmsi"].nunique())
        if disc["method"].startswith("circle_fit"):
            geometry_term = 1.0 - disc["rel_error"]
        else:
            geometry_term = 0.5 * disc["coverage_deg"] / 360.0
        zone_of_label[label] = len(zones)
        zones.append({
            "start_s": start_s, "end_s": end_s, "n_vessels": n_vessels,
            "n_reports": int(e["n_reports"].sum()), "confidence": (1.0 - 0.5**n_vessels) * geometry_term,
            "centre_lon": disc["centre_lon"], "centre_lat": disc["centre_lat"],
            "radius_km": disc["radius_m"] / 1000.0, "method": disc["method"],
            "geometry": disc_polygon(disc["centre_lat"], disc["centre_lon"], disc["radius_m"], cfg.polygon_vertices),
            **dict(zip(_REACH_COLUMNS, (wlat, wlon, wradius / 1000.0))),
        })
    z = pd.DataFrame(zones, columns=["start_s", "end_s"] + ZONE_COLUMNS[3:] + _REACH_COLUMNS)
    z["start_s"], z["end_s"] = _station_outage_window(_at_reach(z), bs_flags, cfg)
    z["n_base_station_reports"] = _base_station_support(_at_reach(z), bs_flags, cfg)
    z["confidence"] = np.where(z["n_base_station_reports"] > 0,
                               z["confidence"] + (1.0 - z["confidence"]) * cfg.bs_support_weight, z["confidence"])
    rank = np.lexsort((z["centre_lon"].to_numpy(), z["start_s"].to_numpy()))
    zone_ids = np.empty(len(z), dtype=object)
    zone_ids[rank] = [f"J{k + 1:03d}" for k in range(len(z))]
    z.insert(0, "zone_id", zone_ids)
    z.insert(1, "start", to_time(z["start_s"].to_numpy()))
    z.insert(2, "end", to_time(z["end_s"].to_numpy()))
    ranked = z.iloc[rank].reset_index(drop=True)
    z = ranked[ZONE_COLUMNS]

    ep_zone = np.full(len(episodes), "", dtype=object)
    for label, k in zone_of_label.items():
        ep_zone[zone_label == label] = zone_ids[k]
    zs = _at_reach(ranked).assign(start_s=epoch_s(z["start"]), end_s=epoch_s(z["end"]))
    zoned = episodes.assign(zone_id=ep_zone)
    e = pd.concat([zoned, _silences(df, t, zs, zoned, good_fix, cfg)], ignore_index=True)
    e = pd.concat([e, _held_fixes(df, t, zs, e, good_fix, cfg)], ignore_index=True)
    e = pd.concat([e, _lone_losses(df, t, zs, e, row_ep, good_fix, cfg)], ignore_index=True)
    e = e.iloc[np.lexsort((e["mmsi"].to_numpy(), e["start_s"].to_numpy()))]
    events = pd.DataFrame({
        "event_id": [f"JE{k + 1:04d}" for k in range(len(e))],
        "kind": "jamming",
        "mmsi": e["mmsi"].to_numpy().astype("int64"),
        "start": to_time(e["start_s"].to_numpy()),
        "end": to_time(e["end_s"].to_numpy()),
        "n_reports": e["n_reports"].to_numpy().astype("int64"),
        "lat": ((e["p_lat"] + e["q_lat"]) / 2).to_numpy(),
        "lon": ((e["p_lon"] + e["q_lon"]) / 2).to_numpy(),
        "score": e["score"].to_numpy(),
        "reasons": e["reasons"].to_numpy(),
        "zone_id": e["zone_id"].to_numpy(),
    })[JAM_EVENT_COLUMNS]

    jam = df["kind"].astype(str).to_numpy() == "jamming"
    sorted_zone = np.where(jam & (row_ep >= 0), np.append(ep_zone, "")[row_ep], "")
    per_report = np.empty(len(df), dtype=object)
    per_report[order] = sorted_zone
    return events, z, pd.Series(per_report, index=reports.index, name="zone_id", dtype=object)


def _at_reach(zones: pd.DataFrame) -> pd.DataFrame:
    """``zones`` with the largest disc their evidence allows as centre and radius: ships and
    stations a zone explains without evidence of their own are judged against it, since any of
    the discs that fit alike may be the jammer's (:func:`.shape.share_discs`)."""
    return zones.assign(centre_lat=zones["reach_lat"], centre_lon=zones["reach_lon"],
                        radius_km=zones["reach_radius_km"])


def write_zones_geojson(zones: pd.DataFrame, path: str | Path) -> Path:
    """Write the zones as a GeoJSON FeatureCollection (lon/lat WGS84), atomically.

    Properties: zone_id, start, end (ISO 8601 UTC, 'Z'), n_vessels, n_reports,
    confidence, centre [lon, lat], radius_km, method.
    """
    features = [
        {
            "type": "Feature",
            "geometry": mapping(z.geometry),
            "properties": {
                "zone_id": str(z.zone_id), "start": iso_utc(z.start), "end": iso_utc(z.end),
                "n_vessels": int(z.n_vessels), "n_reports": int(z.n_reports),
                "confidence": round(float(z.confidence), 3),
                "centre": [round(float(z.centre_lon), 6), round(float(z.centre_lat), 6)],
                "radius_km": round(float(z.radius_km), 3), "method": str(z.method),
            },
        }
        for z in zones.itertuples(index=False)  # a handful of zones
    ]
    return write_json(path, {"type": "FeatureCollection", "features": features})
