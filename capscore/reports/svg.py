"""Small inline SVG charts: the report must render offline, with no script and no request.

Each function returns one `<svg>` element sized by its viewBox, so the page's
CSS scales it; text is escaped; the output depends only on the inputs (a
report rebuilt from the same data is byte-identical). Inline SVG in HTML needs
no namespace declaration, so the page holds no URL at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

FONT = "font-family:inherit;font-size:12px"
AXIS = "#8a8f98"
TEXT = "#23262b"


def _num(value: float) -> str:
    """Coordinates with at most one decimal, so output is stable and compact."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(value: float) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _text_width(text: str) -> float:
    """Rough width at 12px: CJK characters are about square, Latin about half as wide."""
    return sum(12.0 if ord(ch) >= 0x2E80 else 7.0 for ch in text)


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{TEXT}" '
        f'style="{FONT}"{extra}>{escape(content)}</text>'
    )


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {_num(width)} {_num(height)}" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    parts = []
    for name, color in items:
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="10" height="10" fill="{color}"/>'
        )
        parts.append(_text(x + 14, y, name))
        x += 24 + _text_width(name)
    return parts


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    segments: Sequence[tuple[str, str]],
    title: str,
    width: float = 960,
) -> str:
    """Horizontal bars, one per row, split into `segments` (name, color); totals at the end."""
    row_h, top = 26.0, 28.0
    label_w = min(max((_text_width(label) for label, _ in rows), default=0.0) + 16, width / 3)
    plot_w = width - label_w - 60
    largest = max((sum(values) for _, values in rows), default=0.0) or 1.0
    body = _legend(segments, label_w, 14)
    for i, (label, values) in enumerate(rows):
        y = top + i * row_h
        body.append(_text(label_w - 8, y + 15, label, "end"))
        x = label_w
        for (name, color), value in zip(segments, values, strict=True):
            if value <= 0:
                continue
            w = plot_w * value / largest
            body.append(
                f'<rect x="{_num(x)}" y="{_num(y + 3)}" width="{_num(w)}" height="18" '
                f'fill="{color}"><title>{escape(f"{label} {name}: {_label(value)}")}</title></rect>'
            )
            x += w
        body.append(_text(x + 6, y + 16, _label(sum(values))))
    height = top + max(len(rows), 1) * row_h + 6
    return _svg(width, height, title, body)


def histogram(
    counts: Sequence[int],
    edges: Sequence[float],
    title: str,
    color: str,
    width: float = 300,
    height: float = 170,
) -> str:
    """Vertical bars over `len(counts)` bins; `edges` has one more entry than `counts`."""
    if len(edges) != len(counts) + 1:
        raise ValueError("a histogram needs one more edge than bins")
    left, bottom, top = 34.0, 24.0, 22.0
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max(counts, default=0) or 1
    bin_w = plot_w / max(len(counts), 1)
    body = [_text(left, 14, title)]
    base = top + plot_h
    body.append(
        f'<line x1="{_num(left)}" y1="{_num(base)}" x2="{_num(left + plot_w)}" '
        f'y2="{_num(base)}" stroke="{AXIS}"/>'
    )
    body.append(_text(left - 4, top + 8, f"{peak:,}", "end"))
    body.append(_text(left - 4, base, "0", "end"))
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * bin_w
        tip = f"{_label(edges[i])}–{_label(edges[i + 1])}: {count:,}"
        body.append(
            f'<rect x="{_num(x + 1)}" y="{_num(base - h)}" width="{_num(bin_w - 2)}" '
            f'height="{_num(h)}" fill="{color}"><title>{escape(tip)}</title></rect>'
        )
    ticks = ((0, "start"), (len(counts) // 2, "middle"), (len(counts), "end"))
    for i, anchor in ticks:
        body.append(_text(left + i * bin_w, base + 15, _label(edges[i]), anchor))
    return _svg(width, height, title, body)


def bars(
    rows: Sequence[tuple[str, float]],
    title: str,
    color: str,
    unit: str = "",
    width: float = 960,
) -> str:
    """Horizontal bars with their values, largest first as given."""
    row_h, top = 24.0, 8.0
    label_w = min(max((_text_width(label) for label, _ in rows), default=0.0) + 16, width / 3)
    plot_w = width - label_w - 110
    largest = max((value for _, value in rows), default=0.0) or 1.0
    body: list[str] = []
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * max(value, 0.0) / largest
        body.append(_text(label_w - 8, y + 14, label, "end"))
        body.append(
            f'<rect x="{_num(label_w)}" y="{_num(y + 2)}" width="{_num(w)}" height="17" '
            f'fill="{color}"/>'
        )
        body.append(_text(label_w + w + 6, y + 15, f"{_label(value)}{unit}"))
    height = top + max(len(rows), 1) * row_h + 4
    return _svg(width, height, title, body)


def palette(
    names: Sequence[str], colors: Mapping[str, str], fallback: str = "#9aa3ad"
) -> list[tuple[str, str]]:
    return [(name, colors.get(name, fallback)) for name in names]
