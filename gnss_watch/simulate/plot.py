"""A map of one simulated scenario: tracks, jamming zones, spoofed positions."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from .. import land  # noqa: E402
from .ports import get_profile  # noqa: E402

#: A track is drawn as separate pieces across silences or jumps longer than these.
_BREAK_S, _BREAK_M = 600.0, 5000.0
#: How far (lon, lat degrees) the default view stretches to show spoofed positions.
_WIDEN = (1.0, 0.5)


def _pieces(df: pd.DataFrame, lon: str, lat: str) -> list[np.ndarray]:
    """Per-MMSI polylines of (lon, lat), broken at long silences and big jumps."""
    out = []
    for _, g in df.groupby("mmsi", sort=False):
        xy = g[[lon, lat]].to_numpy()
        t = g["t"].to_numpy()
        step = np.hypot(np.diff(xy[:, 0]) * np.cos(np.radians(xy[:-1, 1])), np.diff(xy[:, 1])) * 111_195.0
        cut = np.flatnonzero((np.diff(t) > _BREAK_S) | (step > _BREAK_M)) + 1
        out += [p for p in np.split(xy, cut) if len(p) > 1]
    return out


def plot_scenario(out_dir: str | Path, png_path: str | Path,
                  bbox: tuple[float, float, float, float] | None = None) -> Path:
    """Draw the scenario written in ``out_dir`` (truth.json, labels.csv) to ``png_path``.

    ``bbox`` (lon_min, lat_min, lon_max, lat_max) zooms in; by default the map shows the
    profile's area, widened to take in wherever spoofed ships were claimed to be.
    """
    out_dir, png_path = Path(out_dir), Path(png_path)
    truth = json.loads((out_dir / "truth.json").read_text())
    lab = pd.read_csv(out_dir / "labels.csv", keep_default_na=False, na_values=["NaN"])
    lab["t"] = pd.to_datetime(lab["time"]).astype("int64") / 1e9
    profile = get_profile(truth["profile"])
    x0, y0, x1, y1 = bbox or profile.bbox
    spoofed = lab[lab["label"] == "spoofed"]
    if bbox is None:
        # Widen the view a little for spoofed positions just outside it (an inland airport);
        # far-off claims (teleports) are drawn as lines leaving the map, labelled at the ship.
        near = spoofed[spoofed["lon_reported"].between(x0 - _WIDEN[0], x1 + _WIDEN[0])
                       & spoofed["lat_reported"].between(y0 - _WIDEN[1], y1 + _WIDEN[1])]
        if len(near):
            x0, x1 = min(x0, near["lon_reported"].min() - 0.1), max(x1, near["lon_reported"].max() + 0.1)
            y0, y1 = min(y0, near["lat_reported"].min() - 0.05), max(y1, near["lat_reported"].max() + 0.05)

    fig, ax = plt.subplots(figsize=(14, 9))
    ax.set_facecolor("#dfeaf3")
    for poly in shapely.get_parts(shapely.clip_by_rect(land.land_geometry(), x0, y0, x1, y1)):
        ax.fill(*poly.exterior.xy, color="#e8e2d0", ec="#b8ae92", lw=0.3, zorder=1)
        for hole in poly.interiors:
            ax.fill(*hole.xy, color="#dfeaf3", lw=0, zorder=1)

    clean = lab[lab["label"] == "clean"]
    ax.add_collection(LineCollection(_pieces(clean, "lon_reported", "lat_reported"), colors="#1f4e79", lw=0.45,
                                     alpha=0.8, zorder=3, label="tracks (clean reports)"))
    still = {v["mmsi"] for v in truth["vessels"] if v["behaviour"] in ("anchored", "moored")}
    at_rest = clean[clean["mmsi"].isin(still)]
    ax.scatter(at_rest["lon_reported"], at_rest["lat_reported"], s=1, c="#4d7ea8", zorder=3,
               label="at anchor / moored")
    for z in truth["jamming_zones"]:
        ring = np.array(z["geometry"]["coordinates"][0])
        ax.fill(ring[:, 0], ring[:, 1], color="#ff9900", alpha=0.22, zorder=2)
        ax.plot(ring[:, 0], ring[:, 1], color="#cc7a00", lw=0.8, zorder=2)
        ax.annotate(f"{z['zone_id']} {z['start'][11:16]}-{z['end'][11:16]}\n{len(z['affected_mmsi'])} ships",
                    (z["centre"][0], z["centre"][1]), fontsize=7, ha="center", color="#7a4a00", zorder=6)
    jammed = lab[lab["label"] == "jammed"].dropna(subset=["lat_reported"])
    ax.scatter(jammed["lon_reported"], jammed["lat_reported"], s=3, c="#e08000", zorder=4,
               label="jammed reports (DR / frozen)")
    ax.scatter(spoofed["lon_reported"], spoofed["lat_reported"], s=4, c="red", zorder=5, label="spoofed reports")
    for e in truth["spoofing_events"]:
        ax.plot([e["true_lon"], e["claimed_lon"]], [e["true_lat"], e["claimed_lat"]], color="red", lw=0.6, ls=":",
                zorder=5)
        inside = x0 <= e["claimed_lon"] <= x1 and y0 <= e["claimed_lat"] <= y1
        where, text = ((e["claimed_lon"], e["claimed_lat"]), e["kind"]) if inside else (
            (e["true_lon"], e["true_lat"]), f"{e['kind']} to {e['claimed_lat']:.2f}N {e['claimed_lon']:.2f}E")
        ax.annotate(text, where, fontsize=6, color="darkred", zorder=6, xytext=(3, 3), textcoords="offset points")
    st = profile.stations
    ax.scatter([s.lon for s in st], [s.lat for s in st], marker="^", s=28, c=["k" if s.base else "grey" for s in st],
               zorder=6, label="AIS stations (black: base station)")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / np.cos(np.radians((y0 + y1) / 2)))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    n_ves = len({v["mmsi"] for v in truth["vessels"]})
    ax.set_title(f"{truth['profile']} seed {truth['seed']}: {n_ves} MMSIs, {truth['start']} - {truth['end']}, "
                 f"{len(truth['jamming_zones'])} jamming zones, {len(truth['spoofing_events'])} spoofed tracks")
    ax.legend(loc="lower right", fontsize=7, markerscale=3)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return png_path
