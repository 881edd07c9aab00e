"""The monitor's memory: an SQLite database (``DIR/live.sqlite``) of events, zones and alerts.

A restarted monitor reloads the events and zones that can still be extended
and the resume cursor (the newest data time processed), so it neither opens
again what it already reported nor re-alerts on data it has seen. Notebooks
can query the history directly::

    import sqlite3, pandas as pd
    db = sqlite3.connect("out/live.sqlite")
    pd.read_sql("SELECT * FROM alerts ORDER BY id", db)

Tables (times are ISO 8601 UTC text, ``...Z``, which sorts as time):

* ``events``: one row per spoofing or jamming event, the events.csv columns
  plus ``status`` ('open'/'closed') and ``updated`` (wall clock);
* ``zones``: one row per jamming zone, the zones columns with ``geometry`` as
  WKT (lon/lat) plus ``status`` and ``updated``;
* ``alerts``: every alert emitted (``action`` open/grow/close, ``type``,
  ``ref_id``, ``data_time``, ``wall_time``, ``json`` the full alert line);
* ``state``: key/value pairs: ``hwm`` (resume cursor, unix seconds) and the
  id counters.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

EVENT_FIELDS = ["event_id", "kind", "mmsi", "start", "end", "n_reports", "lat", "lon", "score", "reasons",
                "zone_id", "true_lat", "true_lon", "claimed_lat", "claimed_lon", "group_id", "status", "updated"]
ZONE_FIELDS = ["zone_id", "start", "end", "n_vessels", "n_reports", "confidence", "centre_lon", "centre_lat",
               "radius_km", "method", "n_base_station_reports", "geometry", "status", "updated"]

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events ({", ".join(f'"{c}"' for c in EVENT_FIELDS)}, PRIMARY KEY (event_id));
CREATE TABLE IF NOT EXISTS zones ({", ".join(f'"{c}"' for c in ZONE_FIELDS)}, PRIMARY KEY (zone_id));
CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT, type TEXT, ref_id TEXT,
                                   data_time TEXT, wall_time TEXT, json TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
CREATE INDEX IF NOT EXISTS events_end ON events ("end");
CREATE INDEX IF NOT EXISTS zones_end ON zones ("end");
"""


class Store:
    """Thin wrapper over the database; rows go in and out as dicts keyed by column name."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        # WAL: notebooks and tests can read while the monitor writes
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self.db.commit()

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, str(value)))

    def next_id(self, prefix: str, width: int) -> str:
        """A new id ``prefix`` + zero-padded counter, never reused across restarts."""
        n = int(self.get(f"counter_{prefix}", "0")) + 1
        self.set(f"counter_{prefix}", n)
        return f"{prefix}{n:0{width}d}"

    def _rows(self, table: str, fields: list[str], since: str) -> list[dict[str, Any]]:
        cur = self.db.execute(f"SELECT * FROM {table} WHERE status = 'open' OR \"end\" >= ?", (since,))
        return [dict(zip(fields, r)) for r in cur.fetchall()]

    def recent_events(self, since: str) -> list[dict[str, Any]]:
        """Events still open or ending at or after ``since`` (ISO time)."""
        return self._rows("events", EVENT_FIELDS, since)

    def recent_zones(self, since: str) -> list[dict[str, Any]]:
        return self._rows("zones", ZONE_FIELDS, since)

    def _upsert(self, table: str, fields: list[str], rows: list[dict[str, Any]]) -> None:
        if rows:
            q = f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(fields))})"
            self.db.executemany(q, [tuple(r.get(f) for f in fields) for r in rows])

    def upsert_events(self, rows: list[dict[str, Any]]) -> None:
        self._upsert("events", EVENT_FIELDS, rows)

    def upsert_zones(self, rows: list[dict[str, Any]]) -> None:
        self._upsert("zones", ZONE_FIELDS, rows)

    def add_alerts(self, alerts: list[dict[str, Any]]) -> None:
        self.db.executemany(
            "INSERT INTO alerts (action, type, ref_id, data_time, wall_time, json) VALUES (?, ?, ?, ?, ?, ?)",
            [(a["alert"], a["type"], a["id"], a["data_time"], a["wall_time"], json.dumps(a)) for a in alerts])

    def table(self, name: str) -> list[dict[str, Any]]:
        """All rows of ``events`` or ``zones`` (for the periodic CSV/GeoJSON outputs)."""
        fields = {"events": EVENT_FIELDS, "zones": ZONE_FIELDS}[name]
        return [dict(zip(fields, r)) for r in self.db.execute(f'SELECT * FROM {name} ORDER BY "start"')]

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.commit()
        self.db.close()
