"""Bar charts drawn as inline SVG on the server: geometry here, markup in templates/charts.html.

No script and no style attribute (the Content-Security-Policy allows neither): colours come from classes in
tutela.css. Each chart carries a title and a description for screen readers, and every page that shows one
also shows its numbers as a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH = 720
COLUMN_HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28
MAX_X_LABELS = 8
ROW_HEIGHT = 40


def compact(value: float) -> str:
    """A number for an axis: 950, 1.2k, 3.4M."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:,.0f}"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × a power of ten at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1.0, 2.0, 5.0, 10.0) if step * magnitude >= value)


@dataclass(frozen=True)
class Rect:
    """One bar (or one part of a stacked bar)."""

    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # what a pointer's tooltip says


@dataclass(frozen=True)
class Text:
    """A label on the chart."""

    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Chart:
    """What the template draws: a title, a description, bars, labels and grid lines."""

    slug: str
    title: str
    description: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)  # y of horizontal grid lines
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, name)


def columns(
    slug: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[tuple[str, str, list[int]]],
) -> Chart:
    """A stacked column per label (a day); `series` are (name, css class, one value per label)."""
    chart = Chart(
        slug, title, description, WIDTH, COLUMN_HEIGHT, legend=[(css, name) for name, css, _ in series]
    )
    plot_width, plot_height = WIDTH - LEFT - RIGHT, COLUMN_HEIGHT - TOP - BOTTOM
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_height * (1 - fraction)
        chart.grid.append(y)
        chart.texts.append(Text(LEFT - 6, y + 4, compact(top * fraction), "end"))
    band = plot_width / max(len(labels), 1)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        x = LEFT + band * index + band * 0.15
        base = float(TOP + plot_height)
        for name, css, values in series:
            height = plot_height * values[index] / top
            if height > 0:
                base -= height
                chart.rects.append(
                    Rect(x, base, band * 0.7, height, css, f"{label}: {values[index]:,} {name}")
                )
        if index % every == 0:
            chart.texts.append(Text(LEFT + band * (index + 0.5), COLUMN_HEIGHT - 8, label[5:], "middle"))
    return chart


def ranking(slug: str, title: str, description: str, items: list[tuple[str, int]], unit: str) -> Chart:
    """One horizontal bar per item, largest first, its name above it and its value at its end."""
    height = TOP + ROW_HEIGHT * max(len(items), 1)
    chart = Chart(slug, title, description, WIDTH, height)
    top = max((value for _, value in items), default=0) or 1
    room = WIDTH - RIGHT - 90
    for index, (name, value) in enumerate(items):
        y = TOP + ROW_HEIGHT * index
        chart.texts.append(Text(0, y + 12, name))
        length = max(room * value / top, 1.0)
        chart.rects.append(Rect(0, y + 18, length, 14, "bar-top", f"{name}: {value:,} {unit}"))
        chart.texts.append(Text(length + 6, y + 30, f"{value:,}"))
    return chart
