"""The inline-SVG charts: geometry checked against coordinates worked by hand, the rendered
markup parsed (no browser), and the CSP and accessibility rules of pages-ux §3."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.analytics.kpi.schemas import Kpis, WeekKpis
from app.analytics.kpi.stats import VsPaid
from app.content.schemas import MixCounts, MixNeeds, MixRead
from app.web import charts
from app.web.charts import LINE_FRAME, Frame, bar_chart, line_chart, nice_ticks

TEMPLATES = Path(charts.__file__).parent / "templates"
SCRIPT = "<script>alert(1)</script>"


def make_env(newstyle: bool = True) -> Environment:
    """Newstyle is set up like the pages' Environment (strict undefined, trimmed blocks and
    messages); oldstyle is Jinja's plain default."""
    options: dict[str, Any] = {"trim_blocks": True, "lstrip_blocks": True,
                               "undefined": StrictUndefined} if newstyle else {}
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      extensions=["jinja2.ext.i18n"], **options)
    env.policies["ext.i18n.trimmed"] = newstyle
    env.install_null_translations(newstyle=newstyle)  # type: ignore[attr-defined]
    charts.install(env)
    return env


ENV = make_env()


def render(macro: str, *args: Any, env: Environment = ENV, **kwargs: Any) -> str:
    return str(getattr(env.get_template("macros/charts.html").module, macro)(*args, **kwargs))


def svg(html: str) -> ET.Element:
    """The one ``<svg>`` of a chart, as XML."""
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, html
    return ET.fromstring(match.group(0))


def elements(root: ET.Element, tag: str, css: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter(tag) if css is None or css in e.get("class", "").split()]


def floats(element: ET.Element, *names: str) -> tuple[float, ...]:
    return tuple(float(element.attrib[name]) for name in names)


class Page(HTMLParser):
    """Every tag with its attributes, and the text of each table row's cells."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def kpis(**values: Any) -> dict[str, Any]:
    """A complete, valid KPI object (every count 0, every ratio null) with some values set."""
    zero = dict.fromkeys(["enrolled", "active_advocates", "posts_published", "shares", "clicks",
                          "unique_clicks", "conversions", "reach", "impressions", "engagements",
                          "shares_with_stats"], 0)
    null = dict.fromkeys(["participation_rate", "share_rate", "clicks_per_share", "revenue",
                          "revenue_currency", "conversion_rate", "engagement_rate",
                          "feedback_score", "enps"])
    return {**zero, **null, "revenue_by_currency": {}, "emv": "0", "emv_currency": "EUR",
            **values}


def weeks_of(key: str, values: list[Any]) -> list[dict[str, Any]]:
    start = date(2026, 1, 5)
    return [{"week_start": (start + timedelta(weeks=i)).isoformat(), key: v}
            for i, v in enumerate(values)]


# --- nice ticks ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lo", "hi", "integer", "expected"), [
    (0, 10, False, [0, 2, 4, 6, 8, 10]),
    (0, 7, False, [0, 2, 4, 6, 8]),
    (0, 100, False, [0, 20, 40, 60, 80, 100]),
    (0, 1234, False, [0, 500, 1000, 1500]),
    (0, 0.034, False, [0, 0.01, 0.02, 0.03, 0.04]),
    (0, 0.3, False, [0, 0.1, 0.2, 0.3]),
    (0, 0.05, False, [0, 0.01, 0.02, 0.03, 0.04, 0.05]),
    (0, 0, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (0, 1, True, [0, 1, 2]),
    (0, 3, True, [0, 1, 2, 3]),
    (0, 0, True, [0, 1, 2]),
    (-3, 7, False, [-5, 0, 5, 10]),
    (-40, 30, True, [-40, -20, 0, 20, 40]),
    # 1.5e-5 / 5e-6 is 3.0000000000000004 and -5e-6 / 1e-6 is -5.000000000000001 in floats.
    (0, 1.5e-5, False, [0, 5e-6, 1e-5, 1.5e-5]),
    (-5e-6, 0, False, [-5e-6, -4e-6, -3e-6, -2e-6, -1e-6, 0]),
])
def test_nice_ticks(lo: float, hi: float, integer: bool, expected: list[float]) -> None:
    assert nice_ticks(lo, hi, integer=integer) == expected


def test_whole_ticks_are_ints_so_labels_read_20_not_20_0() -> None:
    assert [type(t) for t in nice_ticks(0, 100)] == [int] * 6


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e12, allow_subnormal=False), st.booleans())
def test_ticks_are_few_round_and_cover_the_data(hi: float, integer: bool) -> None:
    ticks = nice_ticks(0, hi, integer=integer)
    assert 3 <= len(ticks) <= 6 and ticks[0] == 0 and ticks[-1] >= hi
    steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert steps == pytest.approx([ticks[1]] * len(steps), rel=1e-9)
    mantissa = float(f"{ticks[1]:e}".split("e")[0])
    assert mantissa in (1.0, 2.0, 5.0)


# --- line chart --------------------------------------------------------------------------------

def test_line_geometry_on_a_100_px_plot() -> None:
    """Plot x 40..280, y 10..110; values 0, 5, 10 on ticks 0..10 sit at the bottom, the
    middle and the top, on the left edge, the centre and the right edge."""
    frame = Frame(width=300, height=140, left=40, top=10, right=20, bottom=30)
    chart = line_chart(weeks_of("shares", [0, 5, 10]), {"shares": "Shares"}, frame=frame)
    points = chart.series[0].points
    assert [(p.x, p.y) for p in points] == [(40, 110), (160, 60), (280, 10)]
    assert chart.series[0].path == "M40.0 110.0 L160.0 60.0 L280.0 10.0"
    assert [(t.pos, t.text) for t in chart.y_ticks] == [
        (110, "0"), (90, "2"), (70, "4"), (50, "6"), (30, "8"), (10, "10")]


def test_line_chart_renders_points_ticks_and_tooltips() -> None:
    """Default frame: plot x 56..584, y 16..216."""
    html = render("line_chart", "trend", "Shares per week", weeks_of("shares", [0, 5, 10]),
                  {"shares": "Shares"})
    root = svg(html)
    circles = elements(root, "circle", "chart-point")
    assert [floats(c, "cx", "cy") for c in circles] == [(56, 216), (320, 116), (584, 16)]
    assert [c.findtext("title") for c in circles] == [
        "Shares, 2026-01-05: 0", "Shares, 2026-01-12: 5", "Shares, 2026-01-19: 10"]
    y_axis = [g for g in root.iter("g") if "chart-axis-y" in g.get("class", "")][0]
    assert [(float(t.attrib["y"]), t.text) for t in y_axis.iter("text")] == [
        (216, "0"), (176, "2"), (136, "4"), (96, "6"), (56, "8"), (16, "10")]
    x_axis = [g for g in root.iter("g") if "chart-axis-x" in g.get("class", "")][0]
    assert [t.text for t in x_axis.iter("text")] == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert Page(html).rows == [["Week", "Shares"], ["2026-01-05", "0"], ["2026-01-12", "5"],
                               ["2026-01-19", "10"]]


def test_nulls_break_the_line_and_read_no_data() -> None:
    html = render("line_chart", "rate", "Rate", weeks_of("share_rate", [1, 2, None, 3, 4]),
                  {"share_rate": "Share rate"})
    root = svg(html)
    d = elements(root, "path", "chart-line-path")[0].attrib["d"]
    assert d.count("M") == 2 and d.count("L") == 2
    assert len(elements(root, "circle", "chart-point")) == 4
    assert Page(html).rows[3] == ["2026-01-19", "no data"]


def test_money_strings_are_numbers_and_the_formatter_gets_the_raw_value() -> None:
    """12.50 and 7.5 on ticks 0, 5, 10, 15: y = 216 − 12.5/15 × 200 = 49.33."""
    seen: list[Any] = []

    def fmt(value: Any) -> str:
        seen.append(value)
        return f"€{value}"

    html = render("line_chart", "rev", "Revenue", weeks_of("revenue", ["12.50", None, "7.5"]),
                  {"revenue": "Revenue"}, fmt=fmt)
    circles = elements(svg(html), "circle", "chart-point")
    assert floats(circles[0], "cy") == (49.33,) and floats(circles[1], "cy") == (116,)
    assert "12.50" in seen and [r[1] for r in Page(html).rows[1:]] == ["€12.50", "no data",
                                                                         "€7.5"]


def test_two_series_share_the_axis_and_get_a_legend() -> None:
    weeks = [{"week_start": "2026-01-05", "shares": 4, "clicks": 8},
             {"week_start": "2026-01-12", "shares": 2, "clicks": None}]
    html = render("line_chart", "t", "Trend", weeks, [["shares", "Shares"], ["clicks", "Clicks"]])
    root = svg(html)
    groups = [g for g in root.iter("g") if "chart-series" in g.get("class", "").split()]
    assert [g.get("class") for g in groups] == ["chart-series chart-series-1",
                                                "chart-series chart-series-2"]
    # Ticks 0..8 by 2: shares 4 → 216 − 100 = 116, clicks 8 → 16.
    assert floats(groups[0].findall("circle")[0], "cy") == (116,)
    assert floats(groups[1].findall("circle")[0], "cy") == (16,)
    assert 'class="chart-legend"' in html
    assert Page(html).rows == [["Week", "Shares", "Clicks"], ["2026-01-05", "4", "8"],
                               ["2026-01-12", "2", "no data"]]


def test_many_weeks_thin_the_x_labels_but_not_the_table() -> None:
    """12 weeks: every second label, at x = 56 + i × 528/11 = 56 + 48i."""
    html = render("line_chart", "t", "T", weeks_of("shares", list(range(12))),
                  {"shares": "Shares"}, date_fmt=lambda d: f"w{d[-2:]}")
    x_axis = [g for g in svg(html).iter("g") if "chart-axis-x" in g.get("class", "")][0]
    assert [float(t.attrib["x"]) for t in x_axis.iter("text")] == [56, 152, 248, 344, 440, 536]
    assert len(Page(html).rows) == 13


@pytest.mark.parametrize("weeks", [[], weeks_of("shares", [None, None])])
def test_an_empty_trend_says_no_data_yet(weeks: list[dict[str, Any]]) -> None:
    html = render("line_chart", "t", "Trend", weeks, {"shares": "Shares"})
    assert "No data yet" in html and "<svg" not in html


def test_models_work_like_dicts() -> None:
    week = WeekKpis.model_validate(kpis(shares=3, week_start=date(2026, 1, 5),
                                        week_end=date(2026, 1, 12)))
    chart = line_chart([week], {"shares": "Shares"})
    assert chart.rows[0].label == "2026-01-05" and chart.rows[0].cells == ("3",)
    # One week: centred, x = 56 + 528/2.
    assert chart.series[0].points[0].x == 320


# --- bar chart ---------------------------------------------------------------------------------

def test_bars_scale_to_the_max_in_the_given_order() -> None:
    """Bar area 8..320 (312 px); rows 44 px apart from y = 8, bars 20 px into each row."""
    by_network = {"linkedin": {"clicks": 10}, "x": {"clicks": None}, "facebook": {"clicks": 5}}
    html = render("bar_chart", "net", "Clicks by network", by_network, "clicks")
    root = svg(html)
    rects = elements(root, "rect", "chart-bar")
    assert [floats(r, "x", "y", "width", "height") for r in rects] == [
        (8, 28, 312, 16), (8, 116, 156, 16)]
    assert [t.text for t in elements(root, "text", "chart-label")] == ["linkedin", "x",
                                                                        "facebook"]
    assert [t.text for t in elements(root, "text", "chart-nodata")] == ["no data"]
    assert Page(html).rows == [["Name", "Value"], ["linkedin", "10"], ["x", "no data"],
                               ["facebook", "5"]]


def test_bars_take_models_names_and_pairs() -> None:
    by_topic = {"t1": Kpis.model_validate(kpis(shares=2)),
                "t2": Kpis.model_validate(kpis(shares=8))}
    chart = bar_chart(by_topic, "shares", labels={"t1": "Product", "t2": "Hiring"})
    assert [(b.label, b.width) for b in chart.bars] == [("Product", 78), ("Hiring", 312)]
    pairs = bar_chart([("A", 3), ("B", 1)])
    assert [(b.label, b.text, b.width) for b in pairs.bars] == [("A", "3", 312), ("B", "1", 104)]


def test_negative_values_grow_left_of_zero() -> None:
    """eNPS −5 and 5: zero at 8 + 312/2 = 164."""
    chart = bar_chart([("a", -5), ("b", 5)])
    assert chart.zero_x == 164
    assert [(b.x, b.width) for b in chart.bars] == [(8, 156), (164, 156)]


def test_labels_are_escaped_and_long_ones_shortened_only_in_the_svg() -> None:
    long = "A" * 60
    html = render("bar_chart", "t", SCRIPT, {SCRIPT: 4, long: 2})
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    labels = [t.text for t in elements(svg(html), "text", "chart-label")]
    assert labels == [SCRIPT, "A" * 47 + "…"]
    assert [row[0] for row in Page(html).rows[1:]] == [SCRIPT, long]


@pytest.mark.parametrize("rows", [{}, {"linkedin": {"clicks": None}}])
def test_an_empty_breakdown_says_no_data_yet(rows: dict[str, Any]) -> None:
    html = render("bar_chart", "t", "By network", rows, "clicks")
    assert "No data yet" in html and "<svg" not in html


# --- advocacy vs paid ---------------------------------------------------------------------------

def whisker_of(html: str) -> dict[str, Any]:
    root = svg(html)
    # The first zero line is the rate bars'; the last one, the difference axis.
    zero = elements(root, "line", "chart-zero")[-1]
    return {
        "zero": floats(zero, "x1", "y1", "x2", "y2"),
        "whisker": [floats(w, "x1", "y1", "x2", "y2")
                    for w in elements(root, "line", "chart-ci-whisker")],
        "caps": [floats(c, "x1", "y1", "x2", "y2") for c in elements(root, "line", "chart-ci-cap")],
        "point": [floats(p, "cx", "cy") for p in elements(root, "circle", "chart-ci-point")],
        "bars": [floats(r, "width") for r in elements(root, "rect", "chart-bar")],
    }


def test_ci_whisker_spans_lo_to_hi_around_zero() -> None:
    """Axis ±0.05 over x 40..360, zero at 200, 160 px per 0.05: lo −0.01 → 168, hi 0.05 → 360,
    diff 0.02 → 264; the whisker at y = 104 + 36 below the two rate rows."""
    vs_paid = {"advocacy_rate": 0.04, "paid_rate": 0.02, "lift": 1.0, "diff": 0.02,
               "diff_ci95": [-0.01, 0.05], "z": 1.1, "p_value": 0.27}
    html = render("ci_chart", "paid", "Advocacy vs paid", vs_paid)
    geometry = whisker_of(html)
    assert geometry["zero"] == (200, 124, 200, 156)
    assert geometry["whisker"] == [(168, 140, 360, 140)]
    assert geometry["caps"] == [(168, 132, 168, 148), (360, 132, 360, 148)]
    assert geometry["point"] == [(264, 140)]
    assert geometry["bars"] == [(312,), (156,)]
    assert [t.text for t in svg(html).iter("text") if t.get("text-anchor") == "middle"] == [
        "-5.0%", "0.0%", "5.0%"]
    assert "includes zero" in html
    assert Page(html).rows[1:] == [["Advocacy conversion rate", "4.0%"],
                                   ["Paid conversion rate", "2.0%"], ["Difference", "2.0%"],
                                   ["95 % interval, low", "-1.0%"],
                                   ["95 % interval, high", "5.0%"]]


def test_ci_below_zero_favours_paid() -> None:
    """Axis ±0.03: lo −0.03 → 40, hi −0.01 → 200 − 160/3 = 146.67, diff −0.02 → 93.33."""
    vs_paid = VsPaid(advocacy_rate=0.01, paid_rate=0.03, lift=-2 / 3, diff=-0.02,
                     diff_ci95=[-0.03, -0.01], z=-3.0, p_value=0.003)
    html = render("ci_chart", "paid", "Vs paid", vs_paid, fmt=lambda v: f"{v * 100:.2f} pct")
    geometry = whisker_of(html)
    assert geometry["whisker"] == [(40, 140, 146.67, 140)]
    assert geometry["point"] == [(93.33, 140)]
    assert geometry["bars"] == [(104,), (312,)]
    assert "Paid traffic converts better" in html and "-2.00 pct" in html


def test_ci_above_zero_favours_advocacy() -> None:
    vs_paid = {"advocacy_rate": 0.05, "paid_rate": 0.03, "diff": 0.02,
               "diff_ci95": [0.01, 0.03]}
    assert "Advocacy converts better" in render("ci_chart", "p", "Vs paid", vs_paid)


def test_no_baseline_is_a_sentence() -> None:
    html = render("ci_chart", "paid", "Vs paid", None)
    assert "No paid baseline" in html and "<svg" not in html


def test_uncomputable_fields_read_no_data_and_draw_nothing() -> None:
    """No paid visits: the paid rate, the difference and its interval are null."""
    vs_paid = VsPaid(advocacy_rate=0.1, paid_rate=None, lift=None, diff=None, diff_ci95=None,
                     z=None, p_value=None)
    html = render("ci_chart", "paid", "Vs paid", vs_paid)
    assert len(elements(svg(html), "line", "chart-zero")) == 1
    assert "chart-ci-whisker" not in html and "chart-ci-point" not in html
    assert [floats(r, "width") for r in elements(svg(html), "rect", "chart-bar")] == [(312,)]
    assert [row[1] for row in Page(html).rows[1:]] == ["10.0%"] + ["no data"] * 4
    assert "chart-verdict" not in html


# --- 6-3-1 mix -----------------------------------------------------------------------------------

def mix(curated: int, owned: int, promotional: int, compliant: bool, needs: int) -> MixRead:
    return MixRead(last=MixCounts(curated=curated, owned=owned, promotional=promotional),
                   compliant=compliant, needs=MixNeeds(curated=needs))


def test_mix_bar_has_ten_slots_and_the_target_marked() -> None:
    """Slots 38 px apart from x = 10, 34 wide; the 6|3|1 boundaries sit in the gaps at
    10 + 6 × 38 − 2 = 236 and 10 + 9 × 38 − 2 = 350."""
    html = render("mix_bar", "mix", mix(5, 3, 1, True, 2))
    root = svg(html)
    slots = elements(root, "rect", "chart-mix-slot")
    assert [s.get("class", "").split()[1] for s in slots] == (
        ["chart-mix-curated"] * 5 + ["chart-mix-owned"] * 3 + ["chart-mix-promotional",
                                                                 "chart-mix-empty"])
    assert [floats(s, "x")[0] for s in slots] == [10 + 38 * i for i in range(10)]
    assert {floats(s, "width")[0] for s in slots} == {34}
    targets = elements(root, "rect", "chart-mix-target")
    assert [t.get("class", "").split()[1] for t in targets] == (
        ["chart-mix-curated"] * 6 + ["chart-mix-owned"] * 3 + ["chart-mix-promotional"])
    assert [floats(m, "x1")[0] for m in elements(root, "line", "chart-mix-mark")] == [236, 350]
    assert "Within the 6-3-1 rule." in html
    assert "2 curated posts would release a held post." in html
    assert Page(html).rows == [["Category", "Last 10 posts", "Target"], ["Curated", "5", "6"],
                               ["Owned", "3", "3"], ["Promotional", "1", "1"]]


def test_mix_needs_one_and_none() -> None:
    one = render("mix_bar", "mix", {"window": 10, "last": {"curated": 4, "owned": 4,
                                                            "promotional": 2},
                                    "compliant": False, "needs": {"curated": 1}})
    assert "1 curated post would release a held post." in one
    assert "Outside the 6-3-1 rule." in one
    none = render("mix_bar", "mix", mix(6, 3, 1, True, 0))
    assert "would release" not in none and "No post is held by the mix." in none


def test_an_empty_mix_still_shows_ten_empty_slots() -> None:
    slots = elements(svg(render("mix_bar", "mix", mix(0, 0, 0, True, 0))), "rect",
                     "chart-mix-slot")
    assert [s.get("class") for s in slots] == ["chart-mix-slot chart-mix-empty"] * 10


# --- progress ------------------------------------------------------------------------------------

def progress_of(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in Page(html).tags if tag == "progress"]


def test_key_result_progress_has_a_label_and_the_current_of_target() -> None:
    kr = {"title": "Reach 100 people", "current": 42.5, "target": 100, "progress": 0.425}
    html = render("key_result", "kr-1", kr)
    assert progress_of(html) == [{"id": "kr-1", "max": "1", "value": "0.425"}]
    assert '<label class="chart-progress-label" for="kr-1">Reach 100 people</label>' in html
    assert "42.5%" in html and "42.5 of 100" in html


def test_progress_is_clamped_and_null_reads_no_data() -> None:
    assert progress_of(render("progress", "p", "Over", 1.3))[0]["value"] == "1.0"
    html = render("progress", "p", "Unknown", None)
    assert progress_of(html) == [] and "no data" in html


# --- rules for every chart -----------------------------------------------------------------------

ALL = [
    ("line_chart", ("a", SCRIPT, weeks_of("shares", [1, None, 3]), {"shares": SCRIPT})),
    ("bar_chart", ("b", SCRIPT, {SCRIPT: {"clicks": 3}}, "clicks")),
    ("ci_chart", ("c", SCRIPT, {"advocacy_rate": 0.1, "paid_rate": 0.05, "diff": 0.05,
                                "diff_ci95": [0.01, 0.09]})),
    ("mix_bar", ("d", mix(5, 4, 1, False, 3), SCRIPT)),
]


@pytest.mark.parametrize("newstyle", [False, True])
@pytest.mark.parametrize(("macro", "args"), ALL)
def test_csp_safe_accessible_and_escaped(macro: str, args: tuple[Any, ...],
                                         newstyle: bool) -> None:
    html = render(macro, *args, env=make_env(newstyle))
    page = Page(html)
    assert not [tag for tag, attrs in page.tags if "style" in attrs or tag in ("script", "style")]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    assert "<script" not in html and "&lt;script&gt;" in html
    root = svg(html)
    assert root.get("role") == "img"
    title = root.find("title")
    assert title is not None and title.get("id") == root.get("aria-labelledby")
    assert title.text == SCRIPT
    assert [tag for tag, _ in page.tags].count("table") == 1
    assert "%%" not in html and "%(" not in html


def test_oldstyle_gettext_plurals() -> None:
    html = render("mix_bar", "mix", mix(5, 4, 1, False, 3), env=make_env(newstyle=False))
    assert "3 curated posts would release a held post." in html


# --- every bar and point lies inside the plot ----------------------------------------------------

values = st.lists(st.one_of(st.none(), st.integers(0, 10**9),
                            st.floats(0, 1e9, allow_nan=False, allow_subnormal=False)),
                  min_size=0, max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(values, min_size=1, max_size=3))
def test_points_lie_inside_the_plot(columns: list[list[Any]]) -> None:
    count = max(len(c) for c in columns)
    weeks = [{"week_start": f"w{i}", **{f"s{j}": c[i] if i < len(c) else None
                                        for j, c in enumerate(columns)}} for i in range(count)]
    chart = line_chart(weeks, [(f"s{j}", f"S{j}") for j in range(len(columns))])
    f = LINE_FRAME
    for series in chart.series:
        for p in series.points:
            assert f.left <= p.x <= f.plot_right and f.top <= p.y <= f.plot_bottom
    assert all(f.top <= t.pos <= f.plot_bottom for t in chart.y_ticks)


@settings(max_examples=200, deadline=None)
@given(values)
def test_bars_lie_inside_the_plot(column: list[Any]) -> None:
    chart = bar_chart([(f"r{i}", v) for i, v in enumerate(column)])
    f = chart.frame
    for bar in chart.bars:
        assert f.left <= bar.x and bar.x + bar.width <= f.plot_right + 1e-9
        assert f.top <= bar.y and bar.y + bar.height <= f.plot_bottom


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1, 1, allow_nan=False, allow_subnormal=False), min_size=3,
                max_size=3), st.floats(0, 1), st.floats(0, 1))
def test_the_whisker_lies_inside_its_axis(three: list[float], advocacy: float,
                                          paid: float) -> None:
    lo, diff, hi = sorted(three)
    chart = charts.ci_chart({"advocacy_rate": advocacy, "paid_rate": paid, "diff": diff,
                             "diff_ci95": [lo, hi]})
    assert chart is not None and chart.whisker is not None
    f, w = chart.frame, chart.whisker
    xs = [x for x in (w.lo_x, w.diff_x, w.hi_x) if x is not None]
    assert len(xs) == 3 and all(f.left <= x <= f.plot_right for x in xs) and xs == sorted(xs)
    assert all(b.x + b.width <= chart.rates.frame.plot_right for b in chart.rates.bars)
