"""Ship motion: paths in metres and how far along them a ship is at each time.

Geometry is done in the conformal projection of :func:`gnss_watch.land.project`
(metres), so offsets, turning circles and zig-zags have true shapes; positions go
back to lon/lat with :func:`gnss_watch.land.unproject`. Speed over ground and
course are later measured from the lon/lat track itself, so they agree with the
positions exactly whatever the projection's scale error.

Each model answers ``xy(t)`` for an array of times in seconds since the scenario
start, vectorised; no model loops over times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import land


def to_xy(lonlat: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat degrees -> (n, 2) projected metres."""
    x, y = land.project(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    lon, lat = land.unproject(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def fillet(xy: np.ndarray, radius: float) -> np.ndarray:
    """Replace each corner of a polyline by a circular arc of ``radius`` metres.

    Where the legs are too short for that radius, the arc is tighter (it uses
    at most 45 % of the shorter leg), so a zig-zag keeps its legs straight.
    """
    out = [xy[:1]]
    for a, b, c in zip(xy[:-2], xy[1:-1], xy[2:]):
        la, lc = np.hypot(*(b - a)), np.hypot(*(c - b))
        u, w = (b - a) / la, (c - b) / lc
        turn = np.arctan2(u[0] * w[1] - u[1] * w[0], u @ w)  # counter-clockwise positive
        th = abs(turn)
        if th < 1e-3 or th > np.radians(179):
            out.append(b[None])
            continue
        tangent = min(radius * np.tan(th / 2), 0.45 * min(la, lc))
        r = tangent / np.tan(th / 2)
        p1 = b - u * tangent
        left = np.array([-u[1], u[0]])
        centre = p1 + r * left * np.sign(turn)
        a0 = np.arctan2(*(p1 - centre)[::-1])
        ang = a0 + turn * np.linspace(0.0, 1.0, max(int(th * r / 25.0), 2) + 1)
        out.append(centre + r * np.column_stack([np.cos(ang), np.sin(ang)]))
    out.append(xy[-1:])
    return np.vstack(out)


def offset(xy: np.ndarray, d: float) -> np.ndarray:
    """The polyline shifted ``d`` metres to the right of its direction of travel."""
    seg = np.diff(xy, axis=0)
    n = np.column_stack([seg[:, 1], -seg[:, 0]]) / np.hypot(seg[:, 0], seg[:, 1])[:, None]
    # Vertex normals: mean of the adjacent segment normals (corners are small after smoothing).
    vn = np.vstack([n[:1], n[:-1] + n[1:], n[-1:]])
    vn /= np.hypot(vn[:, 0], vn[:, 1])[:, None]
    return xy + d * vn


def arc(centre: np.ndarray, radius: float, start_deg: float, sweep_deg: float, step_m: float = 25.0) -> np.ndarray:
    """Points on a circular arc; angles are compass-style (0 = +y, clockwise positive)."""
    n = max(int(abs(np.radians(sweep_deg)) * radius / step_m), 4)
    ang = np.radians(start_deg + sweep_deg * np.linspace(0.0, 1.0, n + 1))
    return centre + radius * np.column_stack([np.sin(ang), np.cos(ang)])


def u_turn(end: np.ndarray, heading_xy: np.ndarray, radius: float, starboard: bool = True) -> np.ndarray:
    """A 180-degree turn starting at ``end`` while moving along ``heading_xy`` (unit vector)."""
    right = np.array([heading_xy[1], -heading_xy[0]])
    side = right if starboard else -right
    centre = end + radius * side
    start = np.degrees(np.arctan2(-side[0], -side[1]))
    return arc(centre, radius, start, 180.0 if starboard else -180.0)[1:]


class Path:
    """A polyline in projected metres, walked by arc length."""

    def __init__(self, xy: np.ndarray) -> None:
        keep = np.append(True, np.hypot(*np.diff(xy, axis=0).T) > 1e-6)
        self.xy = np.asarray(xy, dtype=float)[keep]
        self.cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(self.xy, axis=0).T))])

    @property
    def length(self) -> float:
        return float(self.cum[-1])

    def at(self, s: np.ndarray) -> np.ndarray:
        """(n, 2) points at arc lengths ``s`` (clipped to the path)."""
        s = np.clip(s, 0.0, self.length)
        return np.column_stack([np.interp(s, self.cum, self.xy[:, 0]), np.interp(s, self.cum, self.xy[:, 1])])

    def direction(self, s: float) -> np.ndarray:
        """Unit direction of travel at arc length ``s``."""
        a, b = self.at(np.array([max(s - 1.0, 0.0), min(s + 1.0, self.length)]))
        d = b - a
        return d / np.hypot(*d)


class Plan:
    """Arc length over time as pieces of constant acceleration.

    Knots ``t, s, v`` (seconds, metres, m/s) with acceleration ``a`` after each
    knot; after the last knot the ship keeps its last speed.
    """

    def __init__(self, t0: float = 0.0, s0: float = 0.0, v0: float = 0.0) -> None:
        self.t, self.s, self.v, self.a = [t0], [s0], [v0], []

    def _piece(self, dt: float, a: float) -> None:
        t, s, v = self.t[-1], self.s[-1], self.v[-1]
        self.a.append(a)
        self.t.append(t + dt)
        self.s.append(s + v * dt + 0.5 * a * dt * dt)
        self.v.append(max(v + a * dt, 0.0))

    def dwell(self, dt: float) -> "Plan":
        """Stay put for ``dt`` seconds (the ship must be stopped)."""
        self.v[-1] = 0.0
        self._piece(dt, 0.0)
        return self

    def cruise(self, dt: float) -> "Plan":
        """Keep the current speed for ``dt`` seconds."""
        self._piece(dt, 0.0)
        return self

    def travel(self, sections: list[tuple[float, float]], accel: float, stop: bool = True) -> "Plan":
        """Cover ``sections`` of (length m, speed m/s) in turn, changing speed at ``accel`` m/s^2.

        A ship speeds up at the start of a faster section and slows down before
        a slower one (or before the end when ``stop``). A section too short for
        its speed gets a lower peak speed.
        """
        for i, (dist, v) in enumerate(sections):
            v_next = sections[i + 1][1] if i + 1 < len(sections) else (0.0 if stop else v)
            v0 = self.v[-1]
            v_next = min(v_next, v)
            # Peak speed reachable within this section (triangle profile).
            v = min(v, np.sqrt(max(accel * dist + 0.5 * (v0 * v0 + v_next * v_next), 0.0)))
            v_next = min(v_next, v)
            d_acc = abs(v * v - v0 * v0) / (2 * accel)
            d_dec = (v * v - v_next * v_next) / (2 * accel)
            if v != v0:
                self._piece(abs(v - v0) / accel, np.sign(v - v0) * accel)
            cruise = max(dist - d_acc - d_dec, 0.0)
            if cruise > 0 and v > 0:
                self._piece(cruise / v, 0.0)
            if v_next < v:
                self._piece((v - v_next) / accel, -accel)
        return self

    def arc(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Arc length (m) and speed (m/s) at times ``t`` (s)."""
        kt = np.asarray(self.t)
        ka = np.append(np.asarray(self.a, dtype=float), 0.0)
        i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 1)
        dt = np.asarray(t, dtype=float) - kt[i]
        v0 = np.asarray(self.v)[i]
        a = np.where(dt >= 0, ka[i], 0.0)
        s = np.asarray(self.s)[i] + v0 * dt + 0.5 * a * dt * dt
        return s, np.maximum(v0 + a * dt, 0.0)


@dataclass
class PathMotion:
    """A ship following a path according to a plan."""

    path: Path
    plan: Plan

    def xy(self, t: np.ndarray) -> np.ndarray:
        return self.path.at(self.plan.arc(t)[0])

    def speed(self, t: np.ndarray) -> np.ndarray:
        """Speed through the water along the path, m/s."""
        return self.plan.arc(t)[1]

    def heading_xy(self, t: np.ndarray) -> np.ndarray:
        """Points 1 m behind and ahead along the path: the bow direction, even when stopped."""
        s = np.clip(self.plan.arc(t)[0], 1.0, max(self.path.length - 1.0, 1.0))
        return self.path.at(s - 1.0), self.path.at(s + 1.0)


@dataclass
class Swinging:
    """A ship at anchor swinging round its anchor, or a moored one (``radius`` 0)."""

    centre: np.ndarray
    radius: float
    bearing_deg: float
    swing_deg: float
    period_s: float
    phase: float

    def _angle(self, t: np.ndarray) -> np.ndarray:
        return np.radians(self.bearing_deg + self.swing_deg * np.sin(2 * np.pi * t / self.period_s + self.phase))

    def xy(self, t: np.ndarray) -> np.ndarray:
        ang = self._angle(np.asarray(t, dtype=float))
        return self.centre + self.radius * np.column_stack([np.sin(ang), np.cos(ang)])

    def speed(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        w = 2 * np.pi / self.period_s
        return np.abs(self.radius * np.radians(self.swing_deg) * w * np.cos(w * t + self.phase))

    def heading_xy(self, t: np.ndarray) -> np.ndarray:
        """The bow points at the anchor (the ship lies downwind of it)."""
        ang = self._angle(np.asarray(t, dtype=float))
        u = np.column_stack([np.sin(ang), np.cos(ang)])
        p = self.centre + max(self.radius, 1.0) * u
        return p, p - u
