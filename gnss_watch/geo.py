"""Vectorised great-circle geometry on the WGS84 sphere approximation.

Distances are metres, angles degrees, speeds knots. The spherical model errs
by < 0.5 % against the ellipsoid, far below anything the checks care about.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
METRES_PER_NM = 1852.0
KNOT_MS = METRES_PER_NM / 3600.0  # 1 knot in metres per second


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def bearing_deg(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Initial great-circle bearing from point 1 to point 2, degrees 0..360."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dlmb) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlmb)
    return np.degrees(np.arctan2(y, x)) % 360.0


def destination(lat: ArrayLike, lon: ArrayLike, bearing: ArrayLike, distance_m: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Point reached from (lat, lon) after ``distance_m`` on initial ``bearing`` (degrees)."""
    p1, l1 = np.radians(lat), np.radians(lon)
    th = np.radians(bearing)
    d = np.asarray(distance_m) / EARTH_RADIUS_M
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(th))
    l2 = l1 + np.arctan2(np.sin(th) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 540.0) % 360.0 - 180.0


def angle_diff_deg(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Signed smallest difference a - b in degrees, in (-180, 180]."""
    d = (np.asarray(a, dtype=float) - np.asarray(b, dtype=float) + 180.0) % 360.0 - 180.0
    return np.where(d == -180.0, 180.0, d)


def local_xy(lat: ArrayLike, lon: ArrayLike, lat0: ArrayLike, lon0: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular metres east and north of (lat0, lon0).

    At 60 N the east-west scale errs by ~1.5 % per 100 km north or south of lat0:
    fine for a zone's shape or a track over tens of km.
    """
    x = EARTH_RADIUS_M * np.radians(np.asarray(lon) - lon0) * np.cos(np.radians(lat0))
    y = EARTH_RADIUS_M * np.radians(np.asarray(lat) - lat0)
    return x, y


def point_segment_m(
    px: ArrayLike, py: ArrayLike, ax: ArrayLike, ay: ArrayLike, bx: ArrayLike, by: ArrayLike
) -> np.ndarray:
    """Distance from points P to segments AB in a local metric plane (:func:`local_xy`), metres."""
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.clip(np.where(len2 > 0, ((px - ax) * dx + (py - ay) * dy) / len2, 0.0), 0.0, 1.0)
    return np.hypot(px - (ax + u * dx), py - (ay + u * dy))
