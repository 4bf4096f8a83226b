"""Chart geometry for the dashboard and the console (CONTRACT §6 KPIs, §7 mix).

The macros in ``templates/macros/charts.html`` only lay out what these builders return, so
every coordinate can be checked in pytest without a browser. Builders take the KPI and
``/mix`` shapes as JSON-like dicts or as the Pydantic models; a null value stays ``None``
(drawn as a gap, shown as "no data") and is never read as zero. Text comes out through a
formatter the page passes in (Babel, per locale); the default is ``str``.

``install(env)`` registers the builders as the ``chart_geometry`` global the macros call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment

Formatter = Callable[[Any], str]

MAX_TICK_INTERVALS = 5
MAX_X_LABELS = 6
SVG_LABEL_CHARS = 48
CATEGORIES = ("curated", "owned", "promotional")
TARGET_SHARES = (0.6, 0.3, 0.1)


@dataclass(frozen=True)
class Frame:
    """A viewBox of ``width`` × ``height`` with margins around the plot area."""

    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    @property
    def plot_bottom(self) -> float:
        return self.height - self.bottom


LINE_FRAME = Frame(width=600, height=260, left=56, top=16, right=16, bottom=44)
BAR_WIDTH, BAR_ROW, BAR_PAD, BAR_VALUE_ROOM = 400, 44, 8, 80


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: tuple[str | None, ...]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    text: str
    when: str


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    path: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    y_label_x: float
    x_label_y: float
    series: tuple[Series, ...]
    rows: tuple[TableRow, ...]

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    text: str | None
    x: float
    y: float
    width: float
    height: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: tuple[Bar, ...]
    zero_x: float

    @property
    def empty(self) -> bool:
        return all(b.text is None for b in self.bars)

    @property
    def rows(self) -> tuple[TableRow, ...]:
        return tuple(TableRow(b.label, (b.text,)) for b in self.bars)


@dataclass(frozen=True)
class Whisker:
    y: float
    cap_top: float
    cap_bottom: float
    lo_x: float | None
    hi_x: float | None
    diff_x: float | None


@dataclass(frozen=True)
class CiChart:
    frame: Frame
    rates: BarChart
    heading_y: float
    axis_top: float
    axis_bottom: float
    zero_x: float
    ticks: tuple[Tick, ...]
    tick_y: float
    whisker: Whisker | None
    diff_text: str | None
    lo_text: str | None
    hi_text: str | None
    verdict: str | None


@dataclass(frozen=True)
class Slot:
    x: float
    y: float
    width: float
    height: float
    category: str


@dataclass(frozen=True)
class MixCount:
    category: str
    count: int
    target: int


@dataclass(frozen=True)
class MixBar:
    frame: Frame
    window: int
    slots: tuple[Slot, ...]
    targets: tuple[Slot, ...]
    marks: tuple[float, ...]
    mark_top: float
    mark_bottom: float
    target_labels: tuple[Tick, ...]
    target_label_y: float
    counts: tuple[MixCount, ...]
    total: int
    compliant: bool
    needs: int

    @property
    def rows(self) -> tuple[TableRow, ...]:
        return tuple(TableRow(c.category, (str(c.count), str(c.target))) for c in self.counts)


@dataclass(frozen=True)
class Progress:
    value: float | None
    text: str | None
    current: str | None
    target: str | None


def field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a JSON-like dict, ``obj.name`` for a model; None when missing."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def number(raw: Any) -> float | None:
    """A KPI value as a float: money comes as a decimal string; null and NaN stay None."""
    if raw is None or isinstance(raw, bool):
        return None
    value = float(Decimal(raw)) if isinstance(raw, str) else float(raw)
    return value if math.isfinite(value) else None


def percent(value: Any) -> str:
    """The default for fractions shown as percentages (pages pass Babel's ``format_percent``)."""
    return f"{float(value) * 100:.1f}%"


def nice_ticks(lo: float, hi: float, *, integer: bool = False) -> list[float]:
    """3 to 6 evenly spaced round ticks (1, 2 or 5 × 10ⁿ apart) from at most min(lo, 0) to at
    least max(hi, 0); with ``integer`` the step is whole, for counts."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    exponent = math.floor(math.log10((hi - lo) / MAX_TICK_INTERVALS))
    if integer:
        exponent = max(exponent, 0)
    while True:
        for factor in (1, 2, 5):
            # Whole steps stay ints, so ``str`` shows "20", not "20.0".
            step: float = factor * 10**exponent if exponent >= 0 else factor * 10.0**exponent
            # The tolerance keeps 0.3 / 0.1 = 2.9999… from adding a needless interval.
            first = math.floor(lo / step + 1e-9)
            last = math.ceil(hi / step - 1e-9)
            if last - first <= MAX_TICK_INTERVALS:
                last = max(last, first + 2)
                digits = max(0, -exponent)
                return [i * step if exponent >= 0 else round(i * step, digits)
                        for i in range(first, last + 1)]
        exponent += 1


def _pairs(items: Any) -> list[tuple[Any, Any]]:
    if isinstance(items, Mapping):
        return list(items.items())
    return [(item, item) if isinstance(item, str) else (item[0], item[1]) for item in items]


def _xy(value: float) -> float:
    return round(value, 2)


def _is_count(raw: Any) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def line_chart(weeks: Sequence[Any], series: Any, fmt: Formatter | None = None,
               date_fmt: Formatter | None = None, *, x_key: str = "week_start",
               frame: Frame = LINE_FRAME) -> LineChart:
    """``weeks`` is the KPI ``weekly`` list; ``series`` maps a KPI name to its label (a dict
    or (name, label) pairs), e.g. ``{"shares": "Shares", "clicks": "Clicks"}``."""
    fmt, date_fmt = fmt or str, date_fmt or str
    keys = _pairs(series)
    whens = [date_fmt(field(week, x_key)) for week in weeks]
    raws = [[field(week, key) for week in weeks] for key, _ in keys]
    values = [[number(raw) for raw in column] for column in raws]
    present = [v for column in values for v in column if v is not None]
    integer = all(_is_count(raw) for column in raws for raw in column if raw is not None)
    ticks = nice_ticks(min(present, default=0.0), max(present, default=0.0), integer=integer)
    t0, tn = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return _xy(frame.plot_bottom - (value - t0) / (tn - t0) * frame.plot_height)

    count = len(weeks)
    xs = [_xy(frame.left + (i * frame.plot_width / (count - 1) if count > 1
                            else frame.plot_width / 2)) for i in range(count)]
    every = max(1, math.ceil(count / MAX_X_LABELS))
    built = []
    for index, (_key, label) in enumerate(keys):
        points, path, pen_down = [], [], False
        for i, value in enumerate(values[index]):
            if value is None:
                pen_down = False
                continue
            point = Point(xs[i], y_of(value), fmt(raws[index][i]), whens[i])
            points.append(point)
            path.append(f"{'L' if pen_down else 'M'}{point.x} {point.y}")
            pen_down = True
        built.append(Series(str(label), f"chart-series-{index % 6 + 1}", " ".join(path),
                            tuple(points)))
    rows = tuple(TableRow(whens[i], tuple(None if values[s][i] is None else fmt(raws[s][i])
                                          for s in range(len(keys))))
                 for i in range(count))
    return LineChart(
        frame=frame,
        y_ticks=tuple(Tick(y_of(t), fmt(t)) for t in ticks),
        x_ticks=tuple(Tick(xs[i], whens[i]) for i in range(0, count, every)),
        y_label_x=frame.left - 8,
        x_label_y=frame.plot_bottom + 20,
        series=tuple(built),
        rows=rows,
    )


def _short(label: str) -> str:
    return label if len(label) <= SVG_LABEL_CHARS else label[:SVG_LABEL_CHARS - 1] + "…"


def bar_chart(rows: Any, metric: str | None = None, labels: Mapping[str, str] | None = None,
              fmt: Formatter | None = None) -> BarChart:
    """Horizontal bars in the given order. ``rows`` is a breakdown (``by_network``,
    ``by_topic``, ``by_group``: key → KPIs) read at ``metric``, or, without ``metric``, a dict
    or pairs of label → value; ``labels`` names the keys (topic and group ids)."""
    fmt, labels = fmt or str, labels or {}
    items = [(str(labels.get(str(key), key)), field(item, metric) if metric else item)
             for key, item in _pairs(rows)]
    values = [number(raw) for _, raw in items]
    present = [v for v in values if v is not None]
    lo, hi = min([0.0, *present]), max([0.0, *present])
    span = hi - lo or 1.0
    frame = Frame(width=BAR_WIDTH, height=2 * BAR_PAD + BAR_ROW * len(items), left=BAR_PAD,
                  top=BAR_PAD, right=BAR_VALUE_ROOM, bottom=BAR_PAD)

    def x_of(value: float) -> float:
        return _xy(frame.left + (value - lo) / span * frame.plot_width)

    zero = x_of(0.0)
    bars = []
    for i, ((label, raw), value) in enumerate(zip(items, values, strict=True)):
        top = frame.top + i * BAR_ROW
        end = zero if value is None else x_of(value)
        bars.append(Bar(label=label, short_label=_short(label),
                        text=None if value is None else fmt(raw),
                        x=min(zero, end), y=top + 20, width=_xy(abs(end - zero)), height=16,
                        label_y=top + 14, value_x=_xy(max(zero, end) + 6), value_y=top + 32))
    return BarChart(frame, tuple(bars), zero)


def ci_chart(vs_paid: Any, labels: Sequence[str] = ("Advocacy", "Paid"),
             fmt: Formatter | None = None) -> CiChart | None:
    """``vs_paid`` of the KPI response: the two rates as bars, then ``diff`` with its
    ``diff_ci95`` as a whisker on an axis centred on zero. None without a paid baseline."""
    if vs_paid is None:
        return None
    fmt = fmt or percent
    rates = bar_chart([(labels[0], field(vs_paid, "advocacy_rate")),
                       (labels[1], field(vs_paid, "paid_rate"))], fmt=fmt)
    raw_diff, interval = field(vs_paid, "diff"), field(vs_paid, "diff_ci95")
    raw_lo, raw_hi = (interval[0], interval[1]) if interval else (None, None)
    diff, lo, hi = number(raw_diff), number(raw_lo), number(raw_hi)
    top = rates.frame.height
    frame = Frame(width=BAR_WIDTH, height=top + 76, left=40, top=top, right=40, bottom=0)
    centre, half = frame.left + frame.plot_width / 2, frame.plot_width / 2
    present = [abs(v) for v in (diff, lo, hi) if v is not None]
    reach = nice_ticks(0.0, max(present, default=0.0))[-1]

    def x_of(value: float | None) -> float | None:
        return None if value is None else _xy(centre + value / reach * half)

    whisker = None
    if present:
        whisker = Whisker(y=top + 36, cap_top=top + 28, cap_bottom=top + 44,
                          lo_x=x_of(lo), hi_x=x_of(hi), diff_x=x_of(diff))
    verdict = None
    if lo is not None and hi is not None:
        verdict = "advocacy" if lo > 0 else "paid" if hi < 0 else "unclear"

    def text(raw: Any, value: float | None) -> str | None:
        return None if value is None else fmt(raw)

    return CiChart(
        frame=frame if present else Frame(BAR_WIDTH, top, 0, 0, 0, 0),
        rates=rates, heading_y=top + 12, axis_top=top + 20, axis_bottom=top + 52,
        zero_x=_xy(centre),
        ticks=tuple(Tick(_xy(centre + k * half), fmt(k * reach)) for k in (-1, 0, 1))
        if present else (),
        tick_y=top + 68, whisker=whisker, diff_text=text(raw_diff, diff),
        lo_text=text(raw_lo, lo), hi_text=text(raw_hi, hi), verdict=verdict,
    )


def mix_bar(mix: Any) -> MixBar:
    """``/mix``: ``{window, last: {curated, owned, promotional}, compliant, needs: {curated}}``.
    The counts fill the slots grouped by category (``/mix`` gives no order), then empty slots
    up to the window; the target 6/3/1 sits below with marks at its boundaries."""
    window = int(field(mix, "window") or 10)
    last = field(mix, "last")
    counts = [int(field(last, c) or 0) for c in CATEGORIES]
    targets = [round(window * share) for share in TARGET_SHARES]
    filled = [c for c, n in zip(CATEGORIES, counts, strict=True) for _ in range(n)][:window]
    filled += ["empty"] * (window - len(filled))
    left, pitch, gap = 10, 380 / window, 4
    planned = [c for c, n in zip(CATEGORIES, targets, strict=True) for _ in range(n)]

    def slot(i: int, category: str, y: float, height: float) -> Slot:
        return Slot(_xy(left + i * pitch), y, _xy(pitch - gap), height, category)

    bounds = [sum(targets[:k + 1]) for k in range(len(targets) - 1)]
    starts = [sum(targets[:k]) for k in range(len(targets))]
    return MixBar(
        frame=Frame(width=400, height=80, left=left, top=8, right=10, bottom=8),
        window=window,
        slots=tuple(slot(i, c, 8, 28) for i, c in enumerate(filled)),
        targets=tuple(slot(i, c, 44, 10) for i, c in enumerate(planned)),
        marks=tuple(_xy(left + b * pitch - gap / 2) for b in bounds),
        mark_top=4, mark_bottom=58,
        target_labels=tuple(Tick(_xy(left + (s + n / 2) * pitch - gap / 2), str(n))
                            for s, n in zip(starts, targets, strict=True)),
        target_label_y=72,
        counts=tuple(MixCount(c, n, t) for c, n, t in zip(CATEGORIES, counts, targets,
                                                          strict=True)),
        total=sum(counts),
        compliant=bool(field(mix, "compliant")),
        needs=int(field(field(mix, "needs"), "curated") or 0),
    )


def progress(value: Any, fmt: Formatter | None = None) -> Progress:
    """A fraction toward a goal, clamped to [0, 1] for ``<progress>``; None stays unknown."""
    fraction = number(value)
    if fraction is None:
        return Progress(None, None, None, None)
    clamped = min(1.0, max(0.0, fraction))
    return Progress(clamped, (fmt or percent)(clamped), None, None)


def key_result(kr: Any, fmt: Formatter | None = None, pct: Formatter | None = None) -> Progress:
    """An OKR key result (``{title, current, target, progress}``): its progress and the
    current and target values through ``fmt``."""
    fmt = fmt or str
    shown = progress(field(kr, "progress"), pct)
    current, target = field(kr, "current"), field(kr, "target")
    return Progress(shown.value, shown.text,
                    None if number(current) is None else fmt(current),
                    None if number(target) is None else fmt(target))


GEOMETRY = SimpleNamespace(line=line_chart, bars=bar_chart, ci=ci_chart, mix=mix_bar,
                           progress=progress, key_result=key_result)


def install(env: Environment) -> None:
    """Make ``macros/charts.html`` work in ``env``: it calls the builders as ``chart_geometry``."""
    env.globals["chart_geometry"] = GEOMETRY
