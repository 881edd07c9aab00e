"""One typed configuration object with documented defaults.

Every threshold says where its value comes from: the AIS standard (ITU-R
M.1371-5), physics, or the behaviour of real receivers. Load overrides from a
TOML file whose tables mirror the sections here (``[ingest]``, ``[tracks]``)::

    [tracks]
    max_gap_s = 3600

``gnss-watch config --show`` prints the defaults in that form.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IngestConfig:
    """Decoding and accounting of raw inputs."""

    #: Identical payloads received within this many seconds are one transmission
    #: heard by several stations (or forwarded by several networks). Terrestrial
    #: copies arrive within seconds; satellite and network-forwarded copies can
    #: lag by minutes, so the window is wide. A payload carries the UTC second and
    #: the SOTDMA communication state, so a genuine repeat within 5 min is rare.
    dedup_window_s: float = 300.0
    #: NMEA 0183 caps a sentence at 82 characters; tag blocks and logger prefixes
    #: add a few hundred. Longer lines are noise and are counted as 'too_long'.
    max_line_length: int = 2048
    #: A multi-sentence message whose parts are further apart than this many
    #: input lines is given up as incomplete (real feeds send parts back to back;
    #: busy multiplexed feeds interleave a few dozen lines at most).
    max_fragment_distance_lines: int = 200
    #: Lines handled per batch: bounds the memory of work in progress for multi-GB inputs.
    chunk_lines: int = 50_000


@dataclass(frozen=True)
class TrackConfig:
    """Track reconstruction and segmentation (``gnss_watch.tracks``)."""

    #: A silence longer than this starts a new segment. ITU-R M.1371's longest
    #: nominal interval is 3 min (Class A at anchor, slow Class B); ten missed
    #: reports in a row is a reception gap, not a track.
    max_gap_s: float = 1800.0
    #: Fastest plausible surface vessel, knots. High-speed craft (fast ferries,
    #: patrol boats) reach 40-45 kn; 60 kn leaves margin without admitting jumps.
    max_speed_kn: float = 60.0
    #: SAR aircraft (type 9) report up to 1022 kn; light aircraft and helicopters
    #: do not exceed ~350 kn.
    max_speed_sar_kn: float = 350.0
    #: Distance slack for reports seconds apart: GNSS noise, multipath and
    #: Class B low-accuracy fixes put consecutive fixes tens of metres apart,
    #: which at a 2 s interval would read as an impossible speed.
    distance_tolerance_m: float = 500.0
    #: Open segments kept per MMSI (GFW segmenter style). Two or three vessels
    #: sharing an MMSI is common; more are noise.
    max_open_segments: int = 4


@dataclass(frozen=True)
class Config:
    """All settings. Sections are immutable; use :meth:`replace` to vary one."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    tracks: TrackConfig = field(default_factory=TrackConfig)

    def replace(self, **sections: dict[str, Any]) -> "Config":
        """A copy with fields of named sections replaced: ``cfg.replace(tracks={"max_gap_s": 600})``."""
        changes = {}
        for name, values in sections.items():
            current = getattr(self, name)
            changes[name] = dataclasses.replace(current, **values)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """The configuration as TOML, each field preceded by its documentation."""
        lines: list[str] = []
        for sec in dataclasses.fields(self):
            section = getattr(self, sec.name)
            lines.append(f"[{sec.name}]")
            docs = _field_docs(type(section))
            for f in dataclasses.fields(section):
                for doc in docs.get(f.name, []):
                    lines.append(f"# {doc}")
                lines.append(f"{f.name} = {_toml_value(getattr(section, f.name))}")
            lines.append("")
        return "\n".join(lines)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Config":
        """Defaults overridden by a TOML file. Unknown sections or keys are an error."""
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        cfg = cls()
        known = {f.name: f for f in dataclasses.fields(cls)}
        for name, values in data.items():
            if name not in known:
                raise ValueError(f"unknown config section [{name}] (known: {', '.join(known)})")
            if not isinstance(values, dict):
                raise ValueError(f"config section [{name}] must be a table")
            section = getattr(cfg, name)
            fields = {f.name: f for f in dataclasses.fields(section)}
            for key, val in values.items():
                if key not in fields:
                    raise ValueError(f"unknown config key {name}.{key} (known: {', '.join(fields)})")
                default = getattr(section, key)
                if isinstance(default, bool) != isinstance(val, bool) or not isinstance(val, (type(default), int)):
                    raise ValueError(f"config key {name}.{key} must be {type(default).__name__}, got {val!r}")
            cfg = cfg.replace(**{name: {k: type(getattr(section, k))(v) for k, v in values.items()}})
        return cfg


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _field_docs(cls: type) -> dict[str, list[str]]:
    """The ``#:`` comments above each field of a dataclass, read from its source."""
    import inspect

    try:
        src = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    docs: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in src:
        s = line.strip()
        if s.startswith("#:"):
            pending.append(s[2:].strip())
        elif ":" in s and not s.startswith(("#", '"', "class", "@")) and pending:
            docs[s.split(":", 1)[0].strip()] = pending
            pending = []
        elif not s.startswith("#:"):
            pending = []
    return docs
