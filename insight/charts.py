"""Bar charts drawn on the server: the geometry of an inline SVG, which a template writes out.

No script and no inline style (the site's Content-Security-Policy allows neither): positions
are SVG attributes, colours are classes of `static/insight/report.css`. The numbers are also
written beside the bars, and the page has them as a table, for readers who cannot see the chart.
"""

from __future__ import annotations

from dataclasses import dataclass

# The drawing's own units; the SVG scales to the width of its box.
# Narrow, so that the 15-unit text stays readable when a phone scales the drawing down.
WIDTH = 480
LABEL_WIDTH = 130  # the labels' column, right-aligned against the bars
VALUE_WIDTH = 70  # room after the longest bar for its number
ROW = 32
BAR = 22


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the value as written beside the bar
    y: int
    width: int
    text_y: int
    value_x: int
    css_class: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_x: int
    bar_x: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(items: list[tuple[str, int, bool]]) -> BarChart:
    """Return a horizontal bar chart of `(label, value, marked)` items, one row each, the
    longest bar the widest value; a marked bar (the current allowance) has its own colour."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((value for _, value, _ in items), default=0) or 1
    bars = []
    for n, (label, value, marked) in enumerate(items):
        width = round(room * value / largest)
        y = n * ROW + (ROW - BAR) // 2
        bars.append(
            Bar(
                label=label,
                value=value,
                text=f"{value:,}",
                y=y,
                width=max(width, 1) if value else 0,
                text_y=y + BAR // 2 + 5,  # the baseline of 15-unit text, centred on the bar
                value_x=LABEL_WIDTH + width + 6,
                css_class="insight-chart__bar insight-chart__bar--marked"
                if marked
                else "insight-chart__bar",
            )
        )
    return BarChart(
        width=WIDTH,
        height=max(len(items), 1) * ROW,
        label_x=LABEL_WIDTH - 8,
        bar_x=LABEL_WIDTH,
        bar_height=BAR,
        bars=tuple(bars),
    )
