"""`coach stats --plot`: minutes per day as a bar chart in a PNG or SVG file, drawn with matplotlib
(imported here only, and without a display), written atomically."""

from __future__ import annotations

import io
from pathlib import Path

from coach.atomic import atomic_write
from coach.errors import OutputFileError, UsageError
from coach.stats import Summary

PLOT_FORMATS = ("png", "svg")


def plot_minutes(summary: Summary, out_path: Path) -> Path:
    fmt = out_path.suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise UsageError(f"{out_path}: the plot is written as .png or .svg; give a file name ending in one of them")
    import matplotlib

    matplotlib.use("Agg")   # no display needed, and none is touched
    from matplotlib.figure import Figure

    days = summary.days
    figure = Figure(figsize=(8, 3), dpi=100)
    ax = figure.add_subplot()
    from matplotlib.dates import date2num

    ax.bar(date2num([d.day for d in days]), [d.minutes for d in days], color="#4a7ebb", width=0.8)
    ax.xaxis_date()
    ax.set_ylabel("minutes")
    ax.set_title(f"coach: minutes a day, last {len(days)} days  (streak {summary.streak_days} d)")
    ax.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    try:
        with atomic_write(out_path) as out:
            out.write(buffer.getvalue())
    except OSError as exc:
        raise OutputFileError(f"cannot write {out_path} ({exc.strerror or exc}); choose a folder you can write to") from None
    return out_path
