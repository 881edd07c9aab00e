"""A zone's disc: fitted to its edge fixes, then bounded by the ships that kept their fix.

Zone shape
    An algebraic (Kasa) circle fit to the edge fixes in a local metric plane,
    its radius raised to the ``edge_quantile`` of their distances (receivers
    differ in robustness), kept when its relative error (from the parameters'
    covariance, edge fixes ``boundary_sigma_m`` off the edge) is at most
    ``fit_max_rel_error`` (fixes around the zone, or on a long enough arc:
    ``fit_min_coverage_deg``) and the disc holds (``fit_min_contained``) the
    points seen inside.
    Otherwise, e.g. ships along one lane, the smallest circle enclosing every
    point of the zone: a disc with the crossing as diameter, never a strip
    along the lane. Ships crossing the zone whole (entry and exit both edge
    fixes) move the centre onto their chords' perpendicular bisectors (a
    receiver loses and regains its fix at the same range). That disc then
    seeds :func:`share_disc`: the disc where at least ``zone_jammed_share``
    of the ships seen (each vessel counted once, jammed ones along a straight
    run from loss to recovery, others by their good fixes during the zone)
    lost the fix, so ships keeping their fix bound the zone where many agree
    and the zone is not limited to the few points jammed ships reported;
    where no ship bounds it (a coast, an empty sea) it reaches ``open_radius_m``.
    Of discs that fit alike (a zone seen from one lane), the middle one is
    drawn, and the largest bounds the ships the zone explains without
    evidence of their own (:func:`share_discs`).
    The radius is held to ``min_radius_m``..``max_radius_m``;
    the centre estimates the emitter area. start/end are the first and last
    jammed report (but of ships in two zones' discs whose loss or recovery
    another zone's switching explains, see :func:`.cluster._own_windows`, or a
    base station's outage, see :func:`.witnesses._station_outage_window`). A zone needs ``min_zone_vessels`` and ``min_zone_reports``.
    Confidence (0..1) = (1 - 0.5 ** n_vessels) x geometry term (fit: 1 -
    relative error; enclosing circle: 0.5 x coverage / 360), moved
    ``bs_support_weight`` of the way to 1 when base stations within reach
    reported invalid GNSS time during the zone (``bs_flags``). Zones are
    numbered J001... by start.

"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from ..config import ZonesConfig
from ..geo import EARTH_RADIUS_M, destination, local_xy


def _from_local(x: float, y: float, lat0: float, lon0: float) -> tuple[float, float]:
    lat = lat0 + np.degrees(y / EARTH_RADIUS_M)
    return float(lat), float(lon0 + np.degrees(x / (EARTH_RADIUS_M * np.cos(np.radians(lat0)))))


def _coverage_deg(x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> float:
    """Angle (degrees) the points cover around (cx, cy): 360 minus the widest empty sector."""
    if len(x) < 2:
        return 0.0
    ang = np.sort(np.degrees(np.arctan2(y - cy, x - cx)) % 360.0)
    return float(360.0 - np.diff(np.r_[ang, ang[0] + 360.0]).max())


def _kasa(x: np.ndarray, y: np.ndarray, sigma_m: float) -> tuple[float, float, float, float]:
    """Algebraic circle fit: centre x, y and radius (metres) and the fit's 1-sigma relative error.

    x^2 + y^2 = a x + b y + c is linear in (a, b, c). A point off the circle by
    d moves the left side by ~2 r d, so the parameters' covariance is
    (2 r s)^2 (A'A)^-1 with s the larger of the rms residual and ``sigma_m``;
    the relative error is (sd(radius) + sd(centre)) / radius, infinite when the
    points are (near) collinear. Coordinates are centred and scaled first so
    A'A is well conditioned.
    """
    mx, my = x.mean(), y.mean()
    scale = float(np.sqrt(np.mean((x - mx) ** 2 + (y - my) ** 2))) or 1.0
    u, v = (x - mx) / scale, (y - my) / scale
    a = np.column_stack([u, v, np.ones_like(u)])
    sol = np.linalg.lstsq(a, u * u + v * v, rcond=None)[0]
    cu, cv = sol[0] / 2, sol[1] / 2
    r2 = sol[2] + cu * cu + cv * cv
    ata = a.T @ a
    if r2 <= 0 or np.linalg.cond(ata) > 1e8:
        return mx, my, float("inf"), float("inf")
    r = float(np.sqrt(r2))
    rms = float(np.sqrt(np.mean((np.hypot(u - cu, v - cv) - r) ** 2)))
    noise = max(rms, sigma_m / scale)
    cov = (2 * r * noise) ** 2 * np.linalg.inv(ata)
    grad = np.array([cu, cv, 1.0]) / (2 * r)
    sd_r = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    sd_c = float(np.sqrt(max(cov[0, 0] + cov[1, 1], 0.0)) / 2)
    return mx + cu * scale, my + cv * scale, r * scale, (sd_r + sd_c) / r


def _bisector_centre(
    chords: np.ndarray, cx: float, cy: float, prior_sd_m: float, cfg: ZonesConfig
) -> tuple[float, float] | None:
    """Zone centre (local metres) from crossings' perpendicular bisectors, shrunk towards (cx, cy).

    A receiver's robustness is its own: a ship crossing the zone loses and
    regains its fix at the same distance from the emitter, so the centre lies
    on the perpendicular bisector of its entry and exit fixes,
    ``n . c = (|b|^2 - |a|^2) / (2 |b - a|)`` with ``n`` the unit chord. This
    holds whatever the receivers' reach, unlike a circle through all edge
    fixes (which lie anywhere from the edge to well inside). Bisectors of
    ships on one lane are parallel and fix only the along-lane coordinate; the
    prior (``prior_sd_m`` metres, 1 sigma) supplies the rest. ``chords``:
    (k, 4) entry x, y, exit x, y; chords shorter than ``min_radius_m`` (slow or
    anchored ships) give no direction. Each bisector is ``chord_sigma_m`` off.
    A centre more than ``bisector_max_shift_sd`` prior sigmas from (cx, cy) is
    the bisectors disagreeing with the ships' positions: None (keep (cx, cy)).
    """
    a, b = chords[:, :2], chords[:, 2:]
    length = np.hypot(*(b - a).T)
    keep = length >= cfg.min_radius_m
    a, b, length = a[keep], b[keep], length[keep]
    n = (b - a) / length[:, None]
    rhs = ((b * b).sum(axis=1) - (a * a).sum(axis=1)) / (2 * length)
    w = 1.0 / cfg.chord_sigma_m**2
    lhs = w * n.T @ n + np.eye(2) / prior_sd_m**2
    c = np.linalg.solve(lhs, w * n.T @ rhs + np.array([cx, cy]) / prior_sd_m**2)
    if np.hypot(c[0] - cx, c[1] - cy) > cfg.bisector_max_shift_sd * prior_sd_m:
        return None
    return float(c[0]), float(c[1])


def enclosing_circle(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Centre x, y and radius (metres, local plane) of the smallest circle enclosing the
    points (at least one). Where they all coincide GEOS draws no circle: their position, radius 0."""
    points = shapely.multipoints(np.column_stack([x, y]))
    circle = shapely.minimum_bounding_circle(points)
    if shapely.is_empty(circle):
        return float(x[0]), float(y[0]), 0.0
    centre = shapely.centroid(circle)
    return centre.x, centre.y, float(shapely.minimum_bounding_radius(points))


def fit_disc(
    boundary_lat: np.ndarray, boundary_lon: np.ndarray, all_lat: np.ndarray, all_lon: np.ndarray,
    config: ZonesConfig | None = None, chords: np.ndarray | None = None,
) -> dict[str, Any]:
    """The disc a jamming zone's points outline (degrees in, metres out).

    ``boundary_*``: fixes on the edge (entries and exits); ``all_*``: the
    cluster's other points (interior fixes, crossing ends); ``chords``
    (optional, (k, 4) entry lat, lon, exit lat, lon of ships crossing the
    whole zone) refine the centre (:func:`_bisector_centre`; ``method`` then
    ends in '+bisectors'). Returns
    ``centre_lat``, ``centre_lon``, ``radius_m``, ``method`` ('circle_fit' or
    'enclosing_circle'), ``rel_error`` (the fit's relative error, NaN for the
    enclosing circle) and ``coverage_deg`` (angle the points cover around the
    centre); rules in the module docstring.
    """
    cfg = config or ZonesConfig()
    alat = np.r_[np.asarray(boundary_lat, float), np.asarray(all_lat, float)]
    alon = np.r_[np.asarray(boundary_lon, float), np.asarray(all_lon, float)]
    lat0, lon0 = float(np.mean(alat)), float(np.mean(alon))
    bx, by = local_xy(np.asarray(boundary_lat, float), np.asarray(boundary_lon, float), lat0, lon0)
    ax, ay = local_xy(alat, alon, lat0, lon0)
    method, rel_error = "enclosing_circle", float("nan")
    if len(bx) >= 3:
        cx, cy, r, rel_error = _kasa(bx, by, cfg.boundary_sigma_m)
        # Every fix seen inside (crossing ends, degraded positions) must lie in the disc,
        # up to the fit's own error: a short noisy arc can fit a far too small circle.
        slack = r * (1.0 + cfg.fit_max_rel_error) + 3.0 * cfg.boundary_sigma_m
        contained = np.mean(np.hypot(ax - cx, ay - cy) <= slack) >= cfg.fit_min_contained
        arc = _coverage_deg(bx, by, cx, cy) >= cfg.fit_min_coverage_deg
        if rel_error <= cfg.fit_max_rel_error and r <= cfg.max_radius_m and contained and arc:
            method = "circle_fit"
    if method == "enclosing_circle":
        cx, cy, r = enclosing_circle(ax, ay)
    ch = np.empty((0, 4)) if chords is None else np.asarray(chords, float).reshape(-1, 4)
    ch = ch[np.isfinite(ch).all(axis=1)]
    if len(ch) >= 2 and len(bx):
        ex, ey = local_xy(ch[:, 0], ch[:, 1], lat0, lon0)
        qx, qy = local_xy(ch[:, 2], ch[:, 3], lat0, lon0)
        centre = _bisector_centre(np.column_stack([ex, ey, qx, qy]), cx, cy, max(r, cfg.min_radius_m), cfg)
        if centre is not None:
            (cx, cy), method = centre, method + "+bisectors"
    if method != "enclosing_circle":
        # Receivers differ in robustness: the zone reaches as far as the most
        # sensitive ones lose their fix (not the average one), and holds the
        # points seen inside it but the odd wild dead-reckoned one.
        edge = float(np.quantile(np.hypot(bx - cx, by - cy), cfg.edge_quantile))
        held = float(np.quantile(np.hypot(ax - cx, ay - cy), cfg.fit_min_contained))
        r = max(edge, held) if method != "circle_fit" else max(r, edge)
    clat, clon = _from_local(cx, cy, lat0, lon0)
    cov = _coverage_deg(bx, by, cx, cy) if method.startswith("circle_fit") else _coverage_deg(ax, ay, cx, cy)
    return {"centre_lat": clat, "centre_lon": clon, "radius_m": float(np.clip(r, cfg.min_radius_m, cfg.max_radius_m)),
            "method": method, "rel_error": rel_error if method.startswith("circle_fit") else float("nan"),
            "coverage_deg": cov}


def _sample_times(start: np.ndarray, end: np.ndarray, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Times every ``step_s`` seconds from each interval's start to its end: (interval number, time).

    An empty interval (end before start, e.g. an episode clipped to a zone window it
    does not reach) gives no times.
    """
    span = end - start
    k = np.where(span >= 0, np.floor(np.where(span >= 0, span, 0) / step_s) + 1, 0).astype(np.int64)
    rep = np.repeat(np.arange(len(start)), k)
    offset = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    return rep, start[rep] + offset * step_s


def share_disc(
    jam_lat: np.ndarray, jam_lon: np.ndarray, good_lat: np.ndarray, good_lon: np.ndarray,
    centre_lat: float, centre_lon: float, radius_m: float, config: ZonesConfig | None = None,
    jam_weight: np.ndarray | None = None, good_weight: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """The disc where jammed ships make at least ``zone_jammed_share`` of those seen (degrees in, metres out).

    ``jam_*``: where the zone's jammed ships were (one sample per vessel per
    ``share_step_s``), ``good_*``: good fixes of ships nearby during the zone,
    sampled alike; ``*_weight`` (default 1) make each vessel count once, so
    that many ships must agree, not one reporting often or staying long.
    A place is in the zone when at least that share of the ships seen there
    lost the fix (an immune ship or two inside do not carve it up; many
    ships keeping their fix bound it): the disc maximising
    ``sum_in jammed x (1 - share) - sum_in good x share`` over centres within
    half ``radius_m`` of (``centre_lat``, ``centre_lon``) (a grid of
    ``share_grid_m``) and radii ``min_radius_m``..``max_radius_m``. Each disc
    reaches halfway from its last ship in to the next one out, or
    ``open_radius_m`` where no ship bounds it: the area where the interference
    is, not only where ships happened to be. Of the discs that fit the
    evidence alike (the same ships in and out), the one about the tied centre
    nearest the tied centres' mean, at its largest reach: where ships saw a
    zone from one lane, nothing tells on which side of it the jammer was, and
    the middle of the candidates gives the largest expected overlap (a lane
    crossing a disc at a random offset, the side unknown: mean IoU 0.49 with
    the crossing as diameter, 0.34 with the centre one half-crossing off the
    lane, 0.18 two off), where the largest candidate puts the zone wholly on
    one side. Returns centre lat, lon and radius (metres); :func:`share_discs`
    gives the largest candidate too.
    """
    return share_discs(jam_lat, jam_lon, good_lat, good_lon, centre_lat, centre_lon, radius_m, config,
                       jam_weight, good_weight)["middle"]


def share_discs(
    jam_lat: np.ndarray, jam_lon: np.ndarray, good_lat: np.ndarray, good_lon: np.ndarray,
    centre_lat: float, centre_lon: float, radius_m: float, config: ZonesConfig | None = None,
    jam_weight: np.ndarray | None = None, good_weight: np.ndarray | None = None,
) -> dict[str, tuple[float, float, float]]:
    """:func:`share_disc`'s disc ('middle') and the largest of those that fit the evidence alike
    ('largest'), each (centre lat, lon, radius in metres). Ships a zone explains without
    evidence of their own (silences, held fixes, stations losing GNSS time) are judged against
    the largest: any of the discs the evidence allows may be the jammer's."""
    cfg = config or ZonesConfig()
    if not len(jam_lat):
        return dict.fromkeys(("middle", "largest"), (centre_lat, centre_lon, radius_m))
    jx, jy = local_xy(np.asarray(jam_lat, float), np.asarray(jam_lon, float), centre_lat, centre_lon)
    gx, gy = local_xy(np.asarray(good_lat, float), np.asarray(good_lon, float), centre_lat, centre_lon)
    x, y = np.r_[jx, gx], np.r_[jy, gy]
    jw = np.ones(len(jx)) if jam_weight is None else np.asarray(jam_weight, float)
    gw = np.ones(len(gx)) if good_weight is None else np.asarray(good_weight, float)
    w = np.r_[jw * (1.0 - cfg.zone_jammed_share), -gw * cfg.zone_jammed_share]

    def search(about: tuple[float, float, float], span: float, step: float) -> dict[str, tuple[float, float, float]]:
        g = np.arange(-span, span + step / 2, step)
        gx_, gy_ = np.meshgrid(g, g)
        cx, cy = about[0] + gx_.ravel(), about[1] + gy_.ravel()
        found = _best_discs(x, y, w, cx, cy, cfg)
        if found is None:
            return dict.fromkeys(("middle", "largest"), about)
        return {pick: (float(cx[k]), float(cy[k]), reach) for pick, (k, reach) in found.items()}

    # A coarse grid, then a fine one about each pick's coarse centre.
    coarse = search((0.0, 0.0, radius_m), max(radius_m / 2, cfg.min_radius_m), cfg.share_grid_m * 4)
    out = {}
    for pick, about in coarse.items():
        x_, y_, r = search(about, cfg.share_grid_m * 4, cfg.share_grid_m)[pick]
        out[pick] = (*_from_local(x_, y_, centre_lat, centre_lon), r)
    return out


#: Centres x samples per block of :func:`_best_discs`: its distance, order and gain
#: matrices stay near 100 MB however many ships a long zone saw.
_SHARE_BLOCK = 2_000_000


def _best_discs(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, cx: np.ndarray, cy: np.ndarray, cfg: ZonesConfig
) -> dict[str, tuple[int, float]] | None:
    """Of the discs about centres (``cx``, ``cy``) with the largest ``sum_in w`` over samples
    (``x``, ``y``) (metres, local plane), radii ``min_radius_m``..``max_radius_m``: 'largest',
    the largest, and 'middle', the one about the centre nearest their centres' mean at its
    largest reach (see :func:`share_disc`); each (centre's position, reach in metres), the first
    in centre then radius order of equal ones. None when no radius is allowed. Centres go in
    blocks (:data:`_SHARE_BLOCK`)."""
    gains, reaches, centres = [], [], []
    per = max(1, _SHARE_BLOCK // max(len(x), 1))
    for b0 in range(0, len(cx), per):
        bx, by = cx[b0:b0 + per], cy[b0:b0 + per]
        d = np.hypot(x[None, :] - bx[:, None], y[None, :] - by[:, None])
        ds = np.take_along_axis(d, order := np.argsort(d, axis=1), axis=1)
        gain = np.cumsum(w[order], axis=1)
        gain = np.where((ds >= cfg.min_radius_m) & (ds <= cfg.max_radius_m), gain, -np.inf)
        top = gain.max()
        if np.isnan(top):
            return None  # a NaN weight: no disc is better than another (as over one block)
        if not np.isfinite(top):
            continue
        # This block's near-best discs: a superset of those equal to the best of all blocks.
        k, i = np.nonzero(gain >= top - 1e-6 * max(abs(top), 1.0))
        # The boundary lies halfway from the last ship in to the next one out, or
        # open_radius_m off if none is near.
        nxt = np.where(i + 1 < ds.shape[1], ds[k, np.minimum(i + 1, ds.shape[1] - 1)], np.inf)
        gains.append(gain[k, i])
        last = ds[k, i]
        reaches.append(np.maximum(np.where(nxt <= cfg.open_radius_m, (last + nxt) / 2, cfg.open_radius_m), last))
        centres.append(k + b0)
    if not gains:
        return None
    gain, reach, centre = np.concatenate(gains), np.concatenate(reaches), np.concatenate(centres)
    top = gain.max()
    same = gain >= top - 1e-9 * max(abs(top), 1.0)
    tied = np.unique(centre[same])
    middle = tied[np.argmin(np.hypot(cx[tied] - cx[tied].mean(), cy[tied] - cy[tied].mean()))]
    out = {}
    for name, ok in (("middle", same & (centre == middle)), ("largest", same)):
        k = int(np.argmax(np.where(ok, reach, -np.inf)))
        out[name] = (int(centre[k]), float(reach[k]))
    return out


def disc_polygon(lat: float, lon: float, radius_m: float, vertices: int = 72) -> Polygon:
    """A geodesic circle as a lon/lat polygon."""
    rlat, rlon = destination(lat, lon, np.linspace(0.0, 360.0, vertices, endpoint=False), radius_m)
    return Polygon(np.column_stack([rlon, rlat]))
