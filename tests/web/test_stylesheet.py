"""The stylesheet: both colour schemes readable (WCAG AA), touch targets, focus, motion."""

from __future__ import annotations

import re

import pytest

from app.web.assets import STATIC_DIR

CSS = (STATIC_DIR / "css" / "app.css").read_text()
AA_TEXT = 4.5
AA_NON_TEXT = 3.0  # WCAG 1.4.11: input borders, focus rings
TEXT_PAIRS = [
    ("text", "bg"), ("text", "surface"), ("text", "surface-2"), ("muted", "surface"),
    ("muted", "bg"), ("muted", "surface-2"), ("link", "surface"), ("link", "bg"),
    ("on-primary", "primary"), ("on-primary", "primary-hover"),
    ("primary-strong", "primary-soft"), ("primary-strong", "surface"),
    ("success", "success-soft"), ("warning", "warning-soft"), ("danger", "danger-soft"),
    ("info", "info-soft"), ("success", "surface"), ("danger", "surface"),
]
NON_TEXT_PAIRS = [("border-strong", "surface"), ("focus", "bg"), ("focus", "surface")]


def _tokens(block: str) -> dict[str, str]:
    return dict(re.findall(r"--color-([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))


def _schemes() -> dict[str, dict[str, str]]:
    light_block = CSS[CSS.index(":root {"):CSS.index("@media (prefers-color-scheme: dark)")]
    dark_start = CSS.index("@media (prefers-color-scheme: dark)")
    dark_block = CSS[dark_start:CSS.index("/* Base */")]
    light = _tokens(light_block)
    return {"light": light, "dark": {**light, **_tokens(dark_block)}}


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colour_pairs_meet_wcag_aa(scheme: str) -> None:
    tokens = _schemes()[scheme]
    low = {f"{fg} on {bg}": round(contrast(tokens[fg], tokens[bg]), 2)
           for fg, bg in TEXT_PAIRS if contrast(tokens[fg], tokens[bg]) < AA_TEXT}
    low |= {f"{fg} on {bg}": round(contrast(tokens[fg], tokens[bg]), 2)
            for fg, bg in NON_TEXT_PAIRS if contrast(tokens[fg], tokens[bg]) < AA_NON_TEXT}
    assert not low, f"{scheme} scheme below WCAG AA: {low}"


def test_dark_scheme_redefines_every_colour() -> None:
    schemes = _schemes()
    dark_only = _tokens(CSS[CSS.index("@media (prefers-color-scheme: dark)"):
                            CSS.index("/* Base */")])
    assert set(dark_only) == set(schemes["light"])
    assert "color-scheme: light dark;" in CSS


def test_buttons_and_link_buttons_are_44px_targets() -> None:
    rule = CSS[CSS.index(".button,\nbutton {"):]
    rule = rule[:rule.index("}")]
    assert "min-height: var(--target);" in rule and "min-width: var(--target);" in rule
    assert "--target: 44px;" in CSS


def test_focus_is_visible_and_motion_can_be_reduced() -> None:
    assert re.search(r":focus-visible\s*{\s*outline: 3px solid", CSS)
    assert "@media (prefers-reduced-motion: reduce)" in CSS


def test_no_outside_resources() -> None:
    assert "@import" not in CSS and "url(" not in CSS
