"""Plots of replay results, shared by the report and the notebooks.

Every function draws onto the matplotlib Axes it is given (a new figure when
``ax`` is None) and returns that Axes. ``results`` is a
:class:`gnss_watch.pipeline.Results` (from :func:`gnss_watch.pipeline.replay`) or
a replay output directory, loaded with :func:`gnss_watch.results.load_results`::

    from gnss_watch import plot
    ax = plot.plot_map("out")                  # overview: land, tracks, zones, spoofing
    plot.plot_track("out", 273568667, event_id="S0003")

Maps use degrees of longitude/latitude with the aspect set to 1/cos(mid
latitude), so distances look the same east-west and north-south. Colours are
Okabe-Ito (distinguishable with the common colour-vision deficiencies).
AIS text (ship names) is attacker-controlled: it goes through :func:`safe_text`
before matplotlib sees it, so a name cannot start mathtext.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from . import land
from .checks import CHECKS
from .geo import EARTH_RADIUS_M, haversine_m
from .schema import unix_seconds

if TYPE_CHECKING:
    from .pipeline import Results

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7"}
#: Grid levels (gpsjam.org's green / yellow / red, in Okabe-Ito hues).
LEVEL_COLOURS = {"low": OKABE_ITO["green"], "medium": OKABE_ITO["yellow"], "high": OKABE_ITO["vermillion"]}
LAND_COLOUR, WATER_COLOUR, COAST_COLOUR = "#e9e5da", "#f3f7fa", "#b9b29d"
#: Tracks are drawn as separate pieces across silences or jumps longer than these (s, m).
BREAK_S, BREAK_M = 600.0, 5000.0
#: Margin around the traffic in the overview, as a fraction of its extent.
_PAD = 0.04
#: How far (lon, lat degrees) the overview widens to take in spoofed positions beyond the traffic;
#: farther claims are drawn as lines leaving the map.
_WIDEN = (1.0, 0.5)
_DEG_KM = EARTH_RADIUS_M * np.pi / 180 / 1000  # km per degree of latitude


def as_results(results: Results | str | Path) -> Results:
    """``results`` itself, or the Results loaded from a replay output directory."""
    if isinstance(results, (str, Path)):
        from .results import load_results

        return load_results(results)
    return results


def safe_text(value: Any, width: int = 32) -> str:
    """AIS text for matplotlib: dollar signs escaped (no mathtext), at most ``width`` characters."""
    s = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    s = s if len(s) <= width else s[: width - 1] + "…"
    return s.replace("$", r"\$")


def vessel_names(results: Results) -> pd.Series:
    """Ship name per MMSI ('' when none was heard), from the static reports."""
    v = results.dataset.vessels
    if not len(v):
        return pd.Series(dtype=str)
    return v.drop_duplicates("mmsi", keep="last").set_index("mmsi")["name"].fillna("").astype(str)


def _axes(ax: Axes | None, figsize: tuple[float, float] = (10, 6)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller wants a new figure (notebooks)

    return plt.subplots(figsize=figsize, layout="constrained")[1]


def _hhmm(t: pd.Timestamp) -> str:
    return t.strftime("%H:%M")


# --- map furniture ---------------------------------------------------------------------------------


def _land_path(bbox: tuple[float, float, float, float]) -> MplPath | None:
    """Land clipped to ``bbox`` as one compound path (exteriors CCW, holes CW): the shipped
    Baltic 10m land minus lakes within its box, the world's 50m land beyond it (which
    draws lakes as land: Ladoga east of 31 E)."""
    x0, y0, x1, y1 = bbox
    bx0, by0, bx1, by1 = land.BBOX
    geom = shapely.clip_by_rect(land.land_geometry(), *bbox)
    if not (bx0 <= x0 and by0 <= y0 and x1 <= bx1 and y1 <= by1):
        beyond = shapely.difference(shapely.clip_by_rect(land.world_land(), *bbox), shapely.box(*land.BBOX))
        geom = shapely.union_all(np.r_[shapely.get_parts(geom), beyond])  # no seam along the box
    geom = shapely.orient_polygons(geom)
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]
    rings = [np.asarray(r.coords) for p in polys for r in (p.exterior, *p.interiors)]
    return MplPath.make_compound_path(*(MplPath(r, closed=True) for r in rings)) if rings else None


def _degrees(v: float, hemis: str) -> str:
    return f"{abs(v):g}°{hemis[0] if v >= 0 else hemis[1]}"


def setup_map(ax: Axes, bbox: tuple[float, float, float, float], scale_bar: bool = True) -> Axes:
    """Water, land, limits, 1/cos(lat) aspect, degree-labelled axes and a scale bar for ``bbox`` (degrees)."""
    x0, y0, x1, y1 = bbox
    ax.set_facecolor(WATER_COLOUR)
    path = _land_path(bbox)
    if path is not None:
        ax.add_patch(PathPatch(path, facecolor=LAND_COLOUR, edgecolor=COAST_COLOUR, lw=0.4, zorder=1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / np.cos(np.radians((y0 + y1) / 2)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # degree labels are wide: few of them
    ax.yaxis.set_major_locator(MaxNLocator(nbins=7))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _degrees(v, "EW")))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _degrees(v, "NS")))
    ax.tick_params(labelsize=7)
    if scale_bar:
        km_per_deg_lon = _DEG_KM * np.cos(np.radians((y0 + y1) / 2))
        target = (x1 - x0) * km_per_deg_lon / 5
        km = max((k for k in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if k <= target), default=0.5)
        bar = AnchoredSizeBar(ax.transData, km / km_per_deg_lon, f"{km:g} km", loc="lower left", pad=0.4,
                              frameon=True, size_vertical=(y1 - y0) / 200, fontproperties={"size": 7})
        bar.patch.set_alpha(0.8)
        ax.add_artist(bar)
    return ax


def _pieces(df: pd.DataFrame) -> list[np.ndarray]:
    """(lon, lat) polylines of valid fixes, broken at MMSI changes, silences > BREAK_S and jumps > BREAK_M."""
    d = df.loc[df["pos_valid"].to_numpy(dtype=bool), ["time", "mmsi", "lon", "lat"]]
    d = d.sort_values(["mmsi", "time"], kind="stable")
    xy = d[["lon", "lat"]].to_numpy(dtype=float)
    if len(xy) < 2:
        return []
    t = unix_seconds(d["time"])
    mmsi = d["mmsi"].to_numpy()
    step = haversine_m(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0])
    cut = np.flatnonzero((mmsi[1:] != mmsi[:-1]) | (np.diff(t) > BREAK_S) | (step > BREAK_M)) + 1
    return [p for p in np.split(xy, cut) if len(p) > 1]


def extent(results: Results | str | Path) -> tuple[float, float, float, float]:
    """Overview bbox (lon_min, lat_min, lon_max, lat_max): the traffic, the zones and nearby spoofed claims."""
    res = as_results(results)
    r = res.reports
    ok = r["pos_valid"].to_numpy(dtype=bool) & (r["event_id"].astype(str) == "").to_numpy()
    lon, lat = r.loc[ok, "lon"].to_numpy(dtype=float), r.loc[ok, "lat"].to_numpy(dtype=float)
    if not len(lon):
        lon, lat = r["lon"].dropna().to_numpy(dtype=float), r["lat"].dropna().to_numpy(dtype=float)
    if not len(lon):
        return land.BBOX
    x0, x1 = np.quantile(lon, [0.001, 0.999])
    y0, y1 = np.quantile(lat, [0.001, 0.999])
    for g in res.zones["geometry"]:
        bx0, by0, bx1, by1 = g.bounds
        x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
    ev = res.events[res.events["kind"] == "spoofing"]
    if len(ev):
        x0, x1 = min(x0, ev["true_lon"].min()), max(x1, ev["true_lon"].max())
        y0, y1 = min(y0, ev["true_lat"].min()), max(y1, ev["true_lat"].max())
    near = ev["claimed_lon"].between(x0 - _WIDEN[0], x1 + _WIDEN[0]) & ev["claimed_lat"].between(
        y0 - _WIDEN[1], y1 + _WIDEN[1])
    if near.any():
        x0, x1 = min(x0, ev.loc[near, "claimed_lon"].min()), max(x1, ev.loc[near, "claimed_lon"].max())
        y0, y1 = min(y0, ev.loc[near, "claimed_lat"].min()), max(y1, ev.loc[near, "claimed_lat"].max())
    px, py = max((x1 - x0) * _PAD, 0.02), max((y1 - y0) * _PAD, 0.01)
    return float(x0 - px), float(y0 - py), float(x1 + px), float(y1 + py)


def fit_bbox(bbox: tuple[float, float, float, float], width_over_height: float) -> tuple[float, float, float, float]:
    """``bbox`` widened east-west or north-south (about its centre) so that, drawn at the 1/cos(lat)
    aspect, it fills a box ``width_over_height`` wide: no blank page around a long, thin sea."""
    x0, y0, x1, y1 = bbox
    k = np.cos(np.radians((y0 + y1) / 2))
    w, h = (x1 - x0) * k, y1 - y0  # ground proportions
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if w / h > width_over_height:
        h = w / width_over_height
    else:
        w = h * width_over_height
    return cx - w / k / 2, cy - h / 2, cx + w / k / 2, cy + h / 2


# --- overview map ----------------------------------------------------------------------------------


def plot_map(results: Results | str | Path, ax: Axes | None = None,
             bbox: tuple[float, float, float, float] | None = None, legend: bool = True) -> Axes:
    """Overview: land, traffic as thin tracks, jamming zones (shaded, labelled with their UTC times) and
    estimated emitter centres, spoofed positions with a line from where each ship was to where it claimed to be.

    Zone polygons are patches with ``gid`` 'zone:<zone_id>'.
    """
    res = as_results(results)
    ax = _axes(ax, (11, 7))
    bbox = bbox or extent(res)
    setup_map(ax, bbox)
    r = res.reports
    clean = r[(r["event_id"].astype(str) == "").to_numpy()]
    ax.add_collection(LineCollection(_pieces(clean), colors=OKABE_ITO["blue"], lw=0.35, alpha=0.55, zorder=3,
                                     label="vessel tracks"))
    jam = r[(r["kind"] == "jamming").to_numpy() & r["pos_valid"].to_numpy(dtype=bool)]
    if len(jam):
        ax.scatter(jam["lon"], jam["lat"], s=1.5, c=OKABE_ITO["orange"], lw=0, zorder=4,
                   label="jamming-flagged reports")
    for z in res.zones.itertuples(index=False):  # a handful of zones
        ring = np.asarray(z.geometry.exterior.coords)
        ax.add_patch(PathPatch(MplPath(ring, closed=True), facecolor=OKABE_ITO["orange"], alpha=0.22,
                               edgecolor="#8a5a00", lw=0.9, zorder=2, gid=f"zone:{z.zone_id}"))
        ax.annotate(f"{z.zone_id}  {_hhmm(z.start)}–{_hhmm(z.end)} UTC\n{z.n_vessels} vessels",
                    (z.centre_lon, ring[:, 1].min()), xytext=(0, -2), textcoords="offset points", ha="center",
                    va="top", fontsize=7, color="#5c3c00", zorder=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.75})
    if len(res.zones):
        ax.scatter(res.zones["centre_lon"], res.zones["centre_lat"], marker="X", s=50, c=OKABE_ITO["black"],
                   zorder=7, label="estimated emitter centre")
    spoofed = r[(r["event_id"].astype(str) != "").to_numpy() & r["pos_valid"].to_numpy(dtype=bool)]
    if len(spoofed):
        ax.scatter(spoofed["lon"], spoofed["lat"], s=5, c=OKABE_ITO["vermillion"], lw=0, zorder=6,
                   label="spoofed positions")
    _spoof_lines(ax, res.events[res.events["kind"] == "spoofing"], bbox)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        if len(res.zones):
            handles.append(Patch(fc=OKABE_ITO["orange"], alpha=0.35, ec="#8a5a00", label="jamming zone"))
        add_legend(ax, handles)
    return ax


def add_legend(ax: Axes, handles: list | None = None, **kwargs: Any) -> None:
    """A legend (upper left unless ``kwargs`` say otherwise) whose scatter markers are readable whatever
    size the data points were drawn at."""
    if not (handles if handles is not None else ax.get_legend_handles_labels()[0]):
        return  # nothing drawn (e.g. a live report's event whose reports left the window)
    leg = ax.legend(handles=handles, **{"loc": "upper left", "fontsize": 7, "framealpha": 0.85, **kwargs})
    for h in leg.legend_handles:
        if hasattr(h, "set_sizes"):
            h.set_sizes([16.0])


def _spoof_lines(ax: Axes, ev: pd.DataFrame, bbox: tuple[float, float, float, float]) -> None:
    """Lines from true to claimed position per spoofing event, claims labelled once per place."""
    if not len(ev):
        return
    segs = np.stack([ev[["true_lon", "true_lat"]].to_numpy(float), ev[["claimed_lon", "claimed_lat"]].to_numpy(float)],
                    axis=1)
    ax.add_collection(LineCollection(segs, colors=OKABE_ITO["vermillion"], lw=0.9, linestyles="--", zorder=6,
                                     label="true → claimed position"))
    ax.scatter(ev["true_lon"], ev["true_lat"], s=14, facecolors="none", edgecolors=OKABE_ITO["black"], lw=0.7,
               zorder=7, label="true position at event start")
    x0, y0, x1, y1 = bbox
    # One label per claimed place (multi-vessel spoofing sends many ships to one point).
    place = ev.assign(key=ev["claimed_lon"].round(2).astype(str) + ev["claimed_lat"].round(2).astype(str))
    for _, g in place.groupby("key", sort=False):  # one group per claimed place: a handful
        ids = list(g["event_id"])
        text = ", ".join(ids) if len(ids) <= 2 else f"{ids[0]}…{ids[-1]} ({len(ids)} ships)"
        lon, lat = g["claimed_lon"].iloc[0], g["claimed_lat"].iloc[0]
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            text += f" → {lat:.2f}°N {lon:.2f}°E"
            lon, lat = g["true_lon"].iloc[0], g["true_lat"].iloc[0]
        right = lon > x0 + 0.7 * (x1 - x0)  # keep labels near the right edge inside the map
        ax.annotate(text, (lon, lat), xytext=(-4 if right else 4, -4), textcoords="offset points", fontsize=7,
                    va="top", ha="right" if right else "left", color="#7a2e00", zorder=8,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})


# --- one vessel ------------------------------------------------------------------------------------


def _vessel_rows(res: Results, mmsi: int, event_id: str | None, pad_s: float) -> tuple[pd.DataFrame, pd.Series | None]:
    """The vessel's reports (within ``pad_s`` of the event when one is named) and the event row."""
    r = res.reports[res.reports["mmsi"].to_numpy() == mmsi].sort_values("time", kind="stable")
    if event_id is None:
        return r, None
    ev = res.events[res.events["event_id"] == event_id]
    if not len(ev):
        raise ValueError(f"no event {event_id!r}")
    e = ev.iloc[0]
    pad = pd.Timedelta(seconds=pad_s)
    return r[(r["time"] >= e["start"] - pad) & (r["time"] <= e["end"] + pad)], e


def plot_track(results: Results | str | Path, mmsi: int, ax: Axes | None = None, event_id: str | None = None,
               pad_s: float = 1800.0, legend: bool = True) -> Axes:
    """One vessel's track on a map: before, during and after a spoofing event (``event_id``, with
    ``pad_s`` seconds either side), the claimed positions, and the plausible path (straight between the
    last fix before and the first fix after the event). Without an event: the whole track, flagged
    reports coloured by kind.
    """
    res = as_results(results)
    ax = _axes(ax, (8, 7))
    r, e = _vessel_rows(res, mmsi, event_id, pad_s)
    valid = r[r["pos_valid"].to_numpy(dtype=bool)]
    if not len(valid):
        ax.text(0.5, 0.5, "no valid positions in these data", transform=ax.transAxes, ha="center")
        return ax
    if e is None:
        parts = {"track": (valid, OKABE_ITO["blue"])}
        during = valid[valid["kind"] != ""]
    else:
        inside = (valid["event_id"] == event_id).to_numpy()
        parts = {"before": (valid[(valid["time"] < e["start"]).to_numpy() & ~inside], "#7f7f7f"),
                 "after": (valid[(valid["time"] > e["start"]).to_numpy() & ~inside], OKABE_ITO["blue"])}
        during = valid[inside]
    lon = np.r_[valid["lon"].to_numpy(float), [] if e is None else [e["true_lon"], e["claimed_lon"]]]
    lat = np.r_[valid["lat"].to_numpy(float), [] if e is None else [e["true_lat"], e["claimed_lat"]]]
    lon, lat = lon[np.isfinite(lon)], lat[np.isfinite(lat)]
    x0, x1, y0, y1 = lon.min(), lon.max(), lat.min(), lat.max()
    # Pad to at least ~2 km and keep the box roughly square on the ground.
    half = max((x1 - x0) * np.cos(np.radians((y0 + y1) / 2)), y1 - y0, 0.02) * 0.6
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    kx = half / np.cos(np.radians(cy))
    setup_map(ax, (cx - kx, cy - half, cx + kx, cy + half))
    for label, (d, colour) in parts.items():
        if len(d):
            ax.add_collection(LineCollection(_pieces(d), colors=colour, lw=1.0, zorder=3))
            ax.scatter(d["lon"], d["lat"], s=3, c=colour, lw=0, zorder=3, label=label)
    if len(during):
        colours = during["kind"].map({"spoofing": OKABE_ITO["vermillion"], "jamming": OKABE_ITO["orange"]}).fillna(
            OKABE_ITO["purple"]) if e is None else OKABE_ITO["vermillion"]
        ax.scatter(during["lon"], during["lat"], s=9, c=colours, lw=0, zorder=5,
                   label="flagged reports" if e is None else "claimed (spoofed) positions")
    if e is not None:
        before = parts["before"][0]
        after = parts["after"][0]
        if len(before) and len(after):
            a, b = before.iloc[-1], after.iloc[0]
            ax.plot([a["lon"], b["lon"]], [a["lat"], b["lat"]], ls=":", c=OKABE_ITO["black"], lw=1.2, zorder=4,
                    label="plausible path (last fix before → first after)")
        ax.plot([e["true_lon"], e["claimed_lon"]], [e["true_lat"], e["claimed_lat"]], ls="--",
                c=OKABE_ITO["vermillion"], lw=1.0, zorder=6, label="true → claimed at start")
        ax.scatter([e["true_lon"]], [e["true_lat"]], s=30, facecolors="none", edgecolors="k", zorder=7)
    if legend:
        add_legend(ax)
    return ax


def plot_speed(results: Results | str | Path, mmsi: int, ax: Axes | None = None, event_id: str | None = None,
               pad_s: float = 1800.0) -> Axes:
    """Reported SOG and the speed implied by consecutive positions (knots, symlog scale) over time,
    the event's span shaded."""
    res = as_results(results)
    ax = _axes(ax, (9, 3))
    r, e = _vessel_rows(res, mmsi, event_id, pad_s)
    ax.plot(r["time"], r["sog"], lw=1.0, c=OKABE_ITO["blue"], label="SOG (reported)")
    ax.plot(r["time"], r["implied_sog_kn"], lw=0, marker=".", ms=3.5, c=OKABE_ITO["vermillion"],
            label="from positions")
    if e is not None:
        ax.axvspan(e["start"], e["end"], color=OKABE_ITO["vermillion"], alpha=0.1, lw=0, label="event")
    top = np.nanmax(np.r_[r["sog"].to_numpy(float), r["implied_sog_kn"].to_numpy(float), 0.0])
    if top > 60:  # an impossible jump: keep ordinary speeds readable beside it
        ax.set_yscale("symlog", linthresh=30)
    ax.set_ylim(0, max(top * 1.1, 5.0))
    ax.set_ylabel("speed (kn)")
    # Above the plot, where it cannot cover the speeds.
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0, 1.0, 0.0), mode="expand", fontsize=7, ncols=3,
              frameon=False, borderaxespad=0.1)
    _time_axis(ax)
    return ax


def plot_checks(results: Results | str | Path, mmsi: int, ax: Axes | None = None, event_id: str | None = None,
                pad_s: float = 1800.0) -> Axes:
    """Which checks fired on the vessel's reports over time (one row per check that fired)."""
    res = as_results(results)
    ax = _axes(ax, (9, 2.5))
    r, e = _vessel_rows(res, mmsi, event_id, pad_s)
    fired = [c for c in CHECKS if c in r.columns and r[c].to_numpy(dtype=bool).any()]
    for i, c in enumerate(fired):
        t = r.loc[r[c].to_numpy(dtype=bool), "time"]
        ax.scatter(t, np.full(len(t), i), marker="|", s=40, lw=0.8, c=OKABE_ITO["black"])
    if e is not None:
        ax.axvspan(e["start"], e["end"], color=OKABE_ITO["vermillion"], alpha=0.1, lw=0)
    ax.set_yticks(range(len(fired)), [c.replace("_", " ") for c in fired], fontsize=7)
    ax.set_ylim(-0.7, max(len(fired), 1) - 0.3)
    if not fired:
        ax.text(0.5, 0.5, "no check fired", transform=ax.transAxes, ha="center", va="center")
    if len(r):
        ax.set_xlim(r["time"].min(), r["time"].max())
    _time_axis(ax)
    return ax


def _time_axis(ax: Axes) -> None:
    """Date ticks labelled HH:MM while the axis spans at most a day; with the date when it spans more
    (decided when drawn, whatever limits the axis has by then)."""
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(loc)

    def label(x: float, _pos: int | None = None) -> str:
        lo, hi = sorted(ax.get_xlim())
        fmt = "%H:%M" if hi - lo <= 1 else "%m-%d %H:%M" if hi - lo <= 31 else "%Y-%m-%d"
        return mdates.num2date(x).strftime(fmt)

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    ax.tick_params(labelsize=7)
    ax.grid(True, lw=0.3, alpha=0.5)


# --- timelines -------------------------------------------------------------------------------------


#: Most bins a timeline has: over a longer span than MAX_TIMELINE_BINS x ``bin_s`` the bins widen
#: (:func:`timeline_bin_s`), so its cost follows the data, not the time between the first and last report.
MAX_TIMELINE_BINS = 2000
#: Bin widths (s) a timeline widens through: 10, 20, 30 min; 1, 2, 3, 6, 12 h; 1, 2, 7, 14, 28, 91, 182, 365 days.
_NICE_BINS_S = (600, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400,
                28 * 86400, 91 * 86400, 182 * 86400, 365 * 86400)


def timeline_bin_s(span_s: float, bin_s: float = 600.0) -> float:
    """The bin width (s) of a timeline over ``span_s`` seconds: ``bin_s``, unless that would need more than
    :data:`MAX_TIMELINE_BINS` bins; then the smallest width of 10 min, 20 min, ... 182 days, 365 days (or a
    whole number of 365 days) that needs no more."""
    span_s = float(span_s) if np.isfinite(span_s) and span_s > 0 else 0.0
    need = span_s / (MAX_TIMELINE_BINS - 3)  # a span of w * (cap - 3) needs at most cap bins (timeline_counts)
    if bin_s >= need:
        return float(bin_s)
    for w in _NICE_BINS_S:
        if w >= need and w >= bin_s:
            return float(w)
    year = float(_NICE_BINS_S[-1])
    return year * np.ceil(need / year)


def bin_text(bin_s: float, short: bool = True) -> str:
    """A bin width in words: '10 min', '2 h', '7 days' (``short``), or '10 minutes', '2 hours', '7 days'."""
    for secs, one, abbrev in ((86400, "day", ""), (3600, "hour", "h"), (60, "minute", "min")):
        if bin_s >= secs and (secs == 60 or bin_s % secs == 0):
            n = bin_s / secs
            return f"{n:g} " + (abbrev if short and abbrev else one if n == 1 else one + "s")
    return f"{bin_s:g} s"


def timeline_counts(results: Results | str | Path, bin_s: float = 600.0) -> tuple[pd.DataFrame, float]:
    """Vessels affected per bin in each jamming zone ('outside zones': jamming-flagged reports in none),
    and the bin width used (``bin_s``, or wider over a long span: :func:`timeline_bin_s`). Index: each
    bin's start (Unix s) from the first report's bin to the last's, at most :data:`MAX_TIMELINE_BINS` of
    them (one past the last report's bin unless it falls on that bin's start); columns: the zones (none when
    nothing was affected)."""
    r = as_results(results).reports
    t = unix_seconds(r["time"])
    finite = np.isfinite(t)
    if not finite.any():
        return pd.DataFrame(index=pd.Index([], dtype=float, name="bin")), float(bin_s)
    t0, t1 = float(t[finite].min()), float(t[finite].max())
    w = timeline_bin_s(t1 - t0, bin_s)
    k0, k1 = int(np.floor(t0 / w)), int(np.floor(t1 / w))
    # One empty bin after the last report's unless it falls on a bin's start, so the step line shows the
    # last bin's width (the bins of np.arange(k0 * w, t1 + w, w), counted in integers).
    bins = np.arange(k0, k1 + (2 if t1 > k1 * w else 1), dtype=float) * w
    zone = r["zone_id"].astype(str).to_numpy()
    hit = ((zone != "") | (r["kind"] == "jamming").to_numpy()) & finite
    d = pd.DataFrame({"bin": np.floor(t[hit] / w) * w, "zone": np.where(zone[hit] != "", zone[hit], "outside zones"),
                      "mmsi": r["mmsi"].to_numpy()[hit]})
    counts = d.groupby(["bin", "zone"])["mmsi"].nunique().unstack(fill_value=0).reindex(bins, fill_value=0)
    counts.columns.name = None
    return counts, w


def plot_timeline(results: Results | str | Path, ax: Axes | None = None, bin_s: float = 600.0) -> Axes:
    """Vessels affected per ``bin_s`` seconds (default 10 min) in each jamming zone (step lines), and
    jamming-flagged vessels outside any zone. Over a span longer than :data:`MAX_TIMELINE_BINS` bins the
    bins widen (:func:`timeline_counts`); the y label says the width drawn."""
    res = as_results(results)
    ax = _axes(ax, (10, 3.5))
    counts, w = timeline_counts(res, bin_s)
    if len(counts):
        colours = [OKABE_ITO[k] for k in ("orange", "blue", "green", "purple", "sky", "yellow")]
        when = pd.to_datetime(counts.index, unit="s", utc=True)
        for i, z in enumerate(sorted(counts.columns, key=lambda c: (c == "outside zones", c))):
            ax.step(when, counts[z], where="post", lw=1.4,
                    c="#7f7f7f" if z == "outside zones" else colours[i % len(colours)], label=z)
        ax.set_xlim(when[0], when[-1])
    ax.set_ylabel(f"vessels affected / {bin_text(w)}", fontsize=8)
    ax.set_ylim(bottom=0)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=7, framealpha=0.85, title="jamming zone", title_fontsize=7)
    else:
        ax.text(0.5, 0.5, "no jamming", transform=ax.transAxes, ha="center", va="center")
    _time_axis(ax)
    return ax


def plot_events_timeline(results: Results | str | Path, ax: Axes | None = None) -> Axes:
    """Spoofing events as horizontal bars, one row per vessel, labelled with event ids."""
    res = as_results(results)
    ev = res.events[res.events["kind"] == "spoofing"].sort_values(["start", "mmsi"])
    ax = _axes(ax, (10, 0.8 + 0.25 * max(ev["mmsi"].nunique(), 1)))
    if not len(ev):
        ax.text(0.5, 0.5, "no spoofing events", transform=ax.transAxes, ha="center", va="center")
        ax.set_yticks([])
        return ax
    names = vessel_names(res)
    rows = pd.unique(ev["mmsi"])
    row = pd.Series(np.arange(len(rows)), index=rows)
    y = row[ev["mmsi"]].to_numpy()
    ax.barh(y, (ev["end"] - ev["start"]).to_numpy(), left=ev["start"].to_numpy(), height=0.6,
            color=OKABE_ITO["vermillion"], alpha=0.85)
    for yi, (_, e) in zip(y, ev.iterrows()):  # one label per event
        ax.annotate(e["event_id"], (e["end"], yi), xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize=7)
    ax.set_yticks(range(len(rows)),
                  [f"{safe_text(names.get(m, ''), 20)} ({m})" for m in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    t = res.reports["time"]
    if len(t):
        ax.set_xlim(t.min(), t.max())
    _time_axis(ax)
    return ax


# --- interference grid -----------------------------------------------------------------------------


def worst_hours(results: Results | str | Path, n: int = 4) -> list[pd.Timestamp]:
    """The ``n`` hours with the most affected vessels (summed n_bad over cells), in time order; hours
    with none affected are left out (the busiest hour is returned when no hour has any)."""
    g = as_results(results).detection.grid
    if not len(g):
        return []
    per_hour = g.groupby("hour")[["n_bad", "n_vessels"]].sum()
    affected = per_hour[per_hour["n_bad"] > 0]
    if not len(affected):  # nothing affected: the busiest hour shows the coverage
        return [per_hour["n_vessels"].idxmax()]
    return sorted(affected["n_bad"].sort_values(ascending=False, kind="stable").index[:n])


def plot_grid(results: Results | str | Path, hour: pd.Timestamp | str | None = None, ax: Axes | None = None,
              bbox: tuple[float, float, float, float] | None = None, legend: bool = True) -> Axes:
    """The hourly share-of-vessels-affected grid for one ``hour`` (default: the worst) as coloured cells:
    gpsjam.org levels low (< 2 %), medium (2-10 %), high (> 10 %); medium and high cells labelled with
    their percentage. Cells are a PolyCollection with ``gid`` 'grid'."""
    res = as_results(results)
    ax = _axes(ax, (10, 6))
    g = res.detection.grid
    bbox = bbox or extent(res)
    setup_map(ax, bbox, scale_bar=legend)
    if hour is None:
        hours = worst_hours(res, 1)
        hour = hours[0] if hours else None
    if hour is None:
        ax.set_title("no grid cells", fontsize=8)
        return ax
    hour = pd.Timestamp(hour)
    hour = hour.tz_localize("UTC") if hour.tzinfo is None else hour
    cells = g[g["hour"] == hour]
    cfg = res.config.zones
    dx, dy = cfg.grid_cell_lon_deg / 2, cfg.grid_cell_lat_deg / 2
    lon, lat = cells["lon"].to_numpy(float), cells["lat"].to_numpy(float)
    boxes = np.stack([np.column_stack([lon - dx, lat - dy]), np.column_stack([lon + dx, lat - dy]),
                      np.column_stack([lon + dx, lat + dy]), np.column_stack([lon - dx, lat + dy])], axis=1)
    ax.add_collection(PolyCollection(boxes, facecolors=cells["level"].map(LEVEL_COLOURS).fillna("#cccccc").tolist(),
                                     edgecolors="white", lw=0.4, alpha=0.75, zorder=2, gid="grid"))
    hot = cells[cells["level"] != "low"]
    for c in hot.itertuples(index=False):  # the few medium/high cells
        if bbox[0] <= c.lon <= bbox[2] and bbox[1] <= c.lat <= bbox[3]:
            ax.text(c.lon, c.lat, f"{100 * c.bad_frac:.0f}%", ha="center", va="center", fontsize=7, zorder=3)
    ax.set_title(f"{hour:%Y-%m-%d %H:00}–{hour + pd.Timedelta(hours=1):%H:00} UTC: {int(cells['n_bad'].sum())} "
                 f"affected of {int(cells['n_vessels'].sum())} vessel-cells", fontsize=8)
    if legend:
        ax.legend(handles=level_handles(res), loc="upper left", fontsize=7, framealpha=0.85)
    return ax


def level_handles(results: Results | str | Path) -> list[Patch]:
    """Legend entries for the grid levels, with the configured thresholds."""
    cfg = as_results(results).config.zones
    lo, hi = 100 * cfg.grid_medium_frac, 100 * cfg.grid_high_frac
    return [Patch(fc=LEVEL_COLOURS["low"], alpha=0.75, label=f"< {lo:g} % of vessels affected"),
            Patch(fc=LEVEL_COLOURS["medium"], alpha=0.75, label=f"{lo:g}–{hi:g} %"),
            Patch(fc=LEVEL_COLOURS["high"], alpha=0.75, label=f"> {hi:g} %")]


__all__ = ["plot_map", "plot_track", "plot_speed", "plot_checks", "plot_timeline", "plot_events_timeline",
           "timeline_counts", "timeline_bin_s", "bin_text", "MAX_TIMELINE_BINS",
           "plot_grid", "worst_hours", "extent", "fit_bbox", "setup_map", "add_legend", "level_handles",
           "as_results", "safe_text", "vessel_names", "OKABE_ITO", "LEVEL_COLOURS"]
