"""Small SVG charts drawn on the server, so they read without JavaScript.

Markup.format escapes every value put into the drawing, labels and names included.
Colours and type come from classes in porch.css (the pages' CSP allows no style
attributes), so they follow the dark theme. Each chart is an image with a title and a
description; the page puts the same numbers in a table under it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

#: Fill classes for the series or parts, in order: the accent first, then quieter ones.
PALETTE = ("fill-accent", "fill-pending", "fill-muted")
#: The fill of a remainder ("unchanged", "no answer yet"), which should not stand out.
QUIET = "fill-quiet"
WIDTH = 640
LABEL = Markup('class="chart-label"')


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[Markup]) -> Markup:
    head = Markup(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(id=chart_id, w=WIDTH, h=height, title=title, desc=desc)
    return head + Markup("").join(body) + Markup("</svg>")


def _legend(names: Sequence[str], top: float) -> list[Markup]:
    """A key in one row, each name after a swatch of its colour."""
    slot = WIDTH / max(1, len(names))
    return [
        Markup(
            '<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" class="{fill}"/>'
            '<text x="{tx:.1f}" y="{ty:.1f}" {label}>{name}</text>'
        ).format(
            x=i * slot,
            y=top,
            fill=PALETTE[i % len(PALETTE)],
            tx=i * slot + 14,
            ty=top + 9,
            label=LABEL,
            name=name,
        )
        for i, name in enumerate(names)
    ]


def _axis_top(highest: int) -> int:
    """A round top for the scale, at least `highest`: 1, 2, 5, 10, 20, 50, …"""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= highest:
                return step * factor
        step *= 10


def bars(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    label_every: int = 1,
) -> Markup:
    """Stacked columns, one per label (a day, a kind), one colour per series.

    `series` is (name, one value per label). The last label is written under its
    column, and every `label_every`-th one before it.
    """
    # The right margin leaves room for the last label, centred under the last column.
    left, right, top, bottom = 34.0, WIDTH - 20.0, 26.0, 150.0
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    scale_top = _axis_top(max(totals, default=0))
    slot = (right - left) / max(1, len(labels))
    body = _legend([name for name, _ in series], 2)
    for tick in sorted({0, scale_top // 2, scale_top}):
        if tick == scale_top // 2 and scale_top % 2:
            continue  # half of 1 or 5 is not a whole number of anything
        y = bottom - (bottom - top) * tick / scale_top
        body.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" '
                'class="chart-grid"/>'
                '<text x="{tx}" y="{ty:.1f}" text-anchor="end" {label}>{tick}</text>'
            ).format(x1=left, x2=right, y=y, tx=left - 6, ty=y + 4, label=LABEL, tick=tick)
        )
    for i, name in enumerate(labels):
        x, base = left + i * slot + slot * 0.15, bottom
        for s, (series_name, values) in enumerate(series):
            height = (bottom - top) * values[i] / scale_top
            if height <= 0:
                continue
            base -= height
            body.append(
                Markup(
                    '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    'class="{fill}"><title>{name}: {value} {series}</title></rect>'
                ).format(
                    x=x,
                    y=base,
                    w=slot * 0.7,
                    h=height,
                    fill=PALETTE[s % len(PALETTE)],
                    name=name,
                    value=values[i],
                    series=series_name,
                )
            )
        if (len(labels) - 1 - i) % label_every == 0:  # counted back from the last
            body.append(
                Markup(
                    '<text x="{x:.1f}" y="{y}" text-anchor="middle" {label}>{name}</text>'
                ).format(x=left + (i + 0.5) * slot, y=bottom + 16, label=LABEL, name=name)
            )
    return _svg(chart_id, title, desc, 172, body)


def share_bar(
    chart_id: str,
    title: str,
    desc: str,
    parts: Sequence[tuple[str, int]],
    *,
    quiet_last: bool = False,
) -> Markup:
    """One bar split into its parts by their share of the whole, with a key under it
    that gives each part's count and percentage. With `quiet_last`, the last part is
    the remainder and is drawn in a quiet colour."""
    total = sum(count for _, count in parts)
    fills = [PALETTE[i % len(PALETTE)] for i in range(len(parts))]
    if quiet_last and fills:
        fills[-1] = QUIET
    body: list[Markup] = [
        Markup('<rect x="0.5" y="0.5" width="{w}" height="27" class="chart-frame"/>').format(
            w=WIDTH - 1
        )
    ]
    x = 1.0
    for i, (name, count) in enumerate(parts):
        width = (WIDTH - 2) * count / total if total else 0.0
        if width > 0:
            body.append(
                Markup(
                    '<rect x="{x:.1f}" y="1" width="{w:.1f}" height="26" class="{fill}">'
                    "<title>{name}: {count}</title></rect>"
                ).format(x=x, w=width, fill=fills[i], name=name, count=count)
            )
        x += width
    if not total:
        body.append(
            Markup('<text x="{x}" y="19" text-anchor="middle" {label}>None yet</text>').format(
                x=WIDTH / 2, label=LABEL
            )
        )
    for i, (name, count) in enumerate(parts):
        y = 40 + i * 18
        percent = round(100 * count / total) if total else 0
        body.append(
            Markup(
                '<rect x="0" y="{y}" width="10" height="10" class="{fill}"/>'
                '<text x="16" y="{ty}" {label}>{name}: {count} ({percent}%)</text>'
            ).format(
                y=y,
                fill=fills[i],
                ty=y + 9,
                label=LABEL,
                name=name,
                count=count,
                percent=percent,
            )
        )
    return _svg(chart_id, title, desc, 40 + 18 * len(parts), body)
