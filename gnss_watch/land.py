"""Shipped Baltic land: is a point on land, and how far inland is it.

Land is Natural Earth 10m land plus minor islands *minus* its lakes (see
``data/SOURCES.md``): NE draws Saimaa, Ladoga and the Vistula Lagoon as holes
that the land layer does not cut, so they are subtracted here to count as water.
The data covers lon 9..31 E, lat 53..66.5 N; points outside it count as water
(0 m inland), because there is nothing to say otherwise.

NE 10m draws many harbours, canals and fjords as land (Helsinki South Harbour,
the Kiel Canal, Limfjord), so callers flag 'on land' only beyond a depth
tolerance using :func:`distance_inland_m`.

Everything is vectorised and built once per process (``functools.lru_cache``):

* :func:`on_land` looks points up in a 0.1-degree grid of cells classified as
  all water, all land or coast; only points in coast cells go to an exact
  ``shapely.contains_xy`` test against the prepared geometry.
* :func:`distance_inland_m` measures in a Lambert conformal conic projection
  (standard parallels 56 and 64 N, scale error < 1.5 % over the data box) to the
  land boundary (coastlines and lake shores). Nearest boundary vertices come from
  k-d trees of the boundary densified to 2 km (every point) and to 200 m (points
  found within 5 km of the shore), refined to the exact distance to the two
  boundary segments next to that vertex.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from .geo import EARTH_RADIUS_M, haversine_m

LAND_FILE = "baltic_land_ne10m.geojson"
LAKES_FILE = "baltic_lakes_ne10m.geojson"
WORLD_LAND_FILE = "world_land_ne50m.json"
#: Extent of the shipped polygons (lon_min, lat_min, lon_max, lat_max), degrees.
BBOX = (9.0, 53.0, 31.0, 66.5)
_CELL_DEG = 0.1
_WATER, _LAND, _COAST = 0, 1, 2
# Boundary densification of the fine and coarse k-d trees, metres, and the depth
# within which the fine tree refines the coarse answer.
_FINE_STEP_M, _COARSE_STEP_M, _FINE_BOUND_M = 200.0, 2000.0, 5000.0

# Lambert conformal conic on the sphere, standard parallels 56/64 N, origin 60 N 20 E.
_P1, _P2, _P0, _L0 = np.radians([56.0, 64.0, 60.0, 20.0])
_N = np.log(np.cos(_P1) / np.cos(_P2)) / np.log(np.tan(np.pi / 4 + _P2 / 2) / np.tan(np.pi / 4 + _P1 / 2))
_F = np.cos(_P1) * np.tan(np.pi / 4 + _P1 / 2) ** _N / _N
_RHO0 = EARTH_RADIUS_M * _F / np.tan(np.pi / 4 + _P0 / 2) ** _N


def project(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Lambert conformal conic x, y in metres (conformal; scale within 1.5 % over :data:`BBOX`)."""
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    rho = EARTH_RADIUS_M * _F / np.tan(np.pi / 4 + phi / 2) ** _N
    theta = _N * (lam - _L0)
    return rho * np.sin(theta), _RHO0 - rho * np.cos(theta)


def unproject(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`project`: lon, lat in degrees from x, y in metres."""
    x = np.asarray(x, dtype=float)
    dy = _RHO0 - np.asarray(y, dtype=float)
    rho = np.sign(_N) * np.hypot(x, dy)
    theta = np.arctan2(x, dy)
    phi = 2 * np.arctan((EARTH_RADIUS_M * _F / rho) ** (1 / _N)) - np.pi / 2
    return np.degrees(theta / _N + _L0), np.degrees(phi)


def _project_coords(coords: np.ndarray) -> np.ndarray:
    x, y = project(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def _load(name: str) -> np.ndarray:
    text = resources.files("gnss_watch").joinpath("data", name).read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    return shapely.from_geojson([json.dumps(f["geometry"]) for f in features])


def _build() -> tuple[bytes, np.ndarray]:
    """Land minus lakes (WKB) and the cell classes of its grid: the expensive part, ~1 s."""
    geom = shapely.difference(shapely.union_all(_load(LAND_FILE)), shapely.union_all(_load(LAKES_FILE)))
    x0, y0, x1, y1 = BBOX
    nx, ny = round((x1 - x0) / _CELL_DEG), round((y1 - y0) / _CELL_DEG)
    gx, gy = np.meshgrid(x0 + _CELL_DEG * np.arange(nx), y0 + _CELL_DEG * np.arange(ny))
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + _CELL_DEG, gy.ravel() + _CELL_DEG)
    shapely.prepare(geom)
    touches = shapely.intersects(geom, boxes)
    inside = shapely.contains_properly(geom, boxes)
    cls = np.where(inside, _LAND, np.where(touches, _COAST, _WATER)).astype(np.int8)
    return shapely.to_wkb(geom), cls.reshape(ny, nx)


@lru_cache(maxsize=1)
def _cached() -> tuple[shapely.Geometry, np.ndarray]:
    """The built land, from a per-user cache keyed by the shipped files and shapely's version.

    Derived data is not shipped: it is rebuilt (about a second) whenever the source
    polygons, the grid or shapely change, and when the cache cannot be written it
    is simply rebuilt every time.
    """
    data = resources.files("gnss_watch").joinpath("data")
    key = hashlib.sha256()
    for name in (LAND_FILE, LAKES_FILE):
        key.update(data.joinpath(name).read_bytes())
    key.update(f"{BBOX}{_CELL_DEG}{shapely.__version__}".encode())
    path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gnss-watch" / (
        f"land-{key.hexdigest()[:16]}.npz")
    try:
        with np.load(path) as z:
            wkb, grid = z["wkb"].tobytes(), z["grid"]
    except (OSError, KeyError, ValueError):
        wkb, grid = _build()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, wkb=np.frombuffer(wkb, dtype=np.uint8), grid=grid)
            os.replace(tmp, path)
        except OSError:
            pass
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom, grid


def land_geometry() -> shapely.MultiPolygon:
    """Land minus lakes as one prepared (Multi)Polygon in lon/lat degrees."""
    return _cached()[0]


@lru_cache(maxsize=1)
def world_land() -> np.ndarray:
    """Natural Earth 50m land polygons of the whole world (lon/lat degrees), for drawing maps
    outside :data:`BBOX` only: it draws lakes (the Great Lakes, Ladoga) as land and coasts
    to ~1 km, too coarse to say whether a ship is on land."""
    text = resources.files("gnss_watch").joinpath("data", WORLD_LAND_FILE).read_text(encoding="utf-8")
    return shapely.get_parts(shapely.from_geojson(text))


def _cell_grid() -> np.ndarray:
    """Cell classes (_WATER/_LAND/_COAST) on a _CELL_DEG grid over BBOX, shape (rows, cols)."""
    return _cached()[1]


def on_land(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where (lon, lat) in degrees lies on land (lakes and lagoons are water).

    NaN coordinates and points outside :data:`BBOX` are False.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    shape = np.broadcast_shapes(lon.shape, lat.shape)
    lon, lat = np.broadcast_to(lon, shape).ravel(), np.broadcast_to(lat, shape).ravel()
    grid = _cell_grid()
    x0, y0, x1, y1 = BBOX
    inside = (lon >= x0) & (lon < x1) & (lat >= y0) & (lat < y1)  # NaN compares False
    out = np.zeros(lon.shape, dtype=bool)
    idx = np.flatnonzero(inside)
    col = ((lon[idx] - x0) / _CELL_DEG).astype(np.intp).clip(0, grid.shape[1] - 1)
    row = ((lat[idx] - y0) / _CELL_DEG).astype(np.intp).clip(0, grid.shape[0] - 1)
    cls = grid[row, col]
    out[idx[cls == _LAND]] = True
    coast = idx[cls == _COAST]
    out[coast] = shapely.contains_xy(land_geometry(), lon[coast], lat[coast])
    return out.reshape(shape)


class _Boundary:
    """Densified land boundary in projected metres with a k-d tree and segment links."""

    def __init__(self, boundary: shapely.Geometry, step_m: float) -> None:
        lines = shapely.get_parts(shapely.segmentize(boundary, step_m))
        self.xy, line_id = shapely.get_coordinates(lines, return_index=True)
        # Vertex i starts a segment when vertex i + 1 belongs to the same line.
        self.has_next = np.append(line_id[1:] == line_id[:-1], False)
        self.tree = cKDTree(self.xy)

    def distance(self, xy: np.ndarray, bound: float = np.inf) -> np.ndarray:
        """Distance (m) from each point to the boundary; inf where none is within ``bound``."""
        d, i = self.tree.query(xy, distance_upper_bound=bound)
        ok = np.isfinite(d)
        i, p = i[ok], xy[ok]
        best = d[ok]
        for a, has in ((i - 1, self.has_next[np.maximum(i - 1, 0)] & (i > 0)), (i, self.has_next[i])):
            seg = _point_segment_distance(p, self.xy[a], self.xy[np.minimum(a + 1, len(self.xy) - 1)])
            best = np.where(has, np.minimum(best, seg), best)
        d[ok] = best
        return d


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
    closest = a + ab * np.clip(t, 0.0, 1.0)[:, None]
    return np.hypot(*(p - closest).T)


@lru_cache(maxsize=1)
def _boundaries() -> tuple[_Boundary, _Boundary]:
    boundary = shapely.boundary(shapely.transform(land_geometry(), _project_coords))
    return _Boundary(boundary, _FINE_STEP_M), _Boundary(boundary, _COARSE_STEP_M)


def distance_inland_m(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """Approximate distance in metres from each land point to the nearest shore; 0 at sea.

    The shore includes lake and lagoon shores, since those are water. Accurate to
    a few tens of metres within 5 km of the shore and ~1.5 % beyond.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    shape = np.broadcast_shapes(lon.shape, lat.shape)
    lon, lat = np.broadcast_to(lon, shape).ravel(), np.broadcast_to(lat, shape).ravel()
    out = np.zeros(lon.shape)
    idx = np.flatnonzero(on_land(lon, lat))
    if idx.size:
        fine, coarse = _boundaries()
        xy = np.column_stack(project(lon[idx], lat[idx]))
        # The coarse tree answers every point cheaply; points near the shore get the fine one.
        d = coarse.distance(xy)
        near = d < _FINE_BOUND_M
        d_fine = fine.distance(xy[near], _FINE_BOUND_M + _COARSE_STEP_M)
        d[near] = np.minimum(d[near], d_fine)
        out[idx] = d
    return out.reshape(shape)


def segment_crosses_land(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike, tolerance_m: float = 0.0
) -> np.ndarray:
    """True for each straight segment (lon/lat degrees) that runs over land.

    With ``tolerance_m`` 0, any contact with land counts. With a positive
    tolerance, a segment counts only where it goes more than ``tolerance_m``
    inland (so it may clip a harbour or a spit that NE 10m draws coarsely);
    this is tested on points every ``max(tolerance_m / 4, 25)`` metres along it.
    """
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2)))
    shape = lon1.shape
    lon1, lat1, lon2, lat2 = (a.ravel() for a in (lon1, lat1, lon2, lat2))
    if tolerance_m <= 0:
        coords = np.stack([np.column_stack([lon1, lat1]), np.column_stack([lon2, lat2])], axis=1)
        return shapely.intersects(land_geometry(), shapely.linestrings(coords)).reshape(shape)
    step = max(tolerance_m / 4.0, 25.0)
    n = np.maximum(np.ceil(haversine_m(lat1, lon1, lat2, lon2) / step).astype(np.intp), 1) + 1
    seg = np.repeat(np.arange(lon1.size), n)
    frac = (np.arange(seg.size) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n - 1, n)
    lon = lon1[seg] + (lon2 - lon1)[seg] * frac
    lat = lat1[seg] + (lat2 - lat1)[seg] * frac
    deep = distance_inland_m(lon, lat) > tolerance_m
    return (np.bincount(seg, weights=deep, minlength=lon1.size) > 0).reshape(shape)
