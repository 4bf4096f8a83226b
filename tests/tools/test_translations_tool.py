"""``make translations`` (tools/translations.py) on the committed catalogs changes no message:
what it extracts, splits by catalog and merges is what the pages ship."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.web.i18n import DOMAINS, TRANSLATIONS_DIR
from tools import translations


def _messages(path: Path) -> dict[object, object]:
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def _frozen(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _compiled(path: Path) -> dict[object, object]:
    with path.open("rb") as handle:
        return {_frozen(m.id): _frozen(m.string) for m in read_mo(handle) if m.id}


def test_a_refresh_of_the_committed_catalogs_changes_no_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy)
    monkeypatch.setattr(translations, "TRANSLATIONS_DIR", copy)
    found = translations.extracted()
    for domain in DOMAINS:
        assert translations.refresh(domain, found.get(domain, [])) == [], domain
        po = Path("th") / "LC_MESSAGES" / f"{domain}.po"
        assert _messages(copy / po) == _messages(TRANSLATIONS_DIR / po), domain
        assert _compiled(copy / po.with_suffix(".mo")) == _compiled(
            TRANSLATIONS_DIR / po.with_suffix(".mo")), domain


def test_a_new_string_arrives_untranslated_in_its_areas_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy)
    monkeypatch.setattr(translations, "TRANSLATIONS_DIR", copy)
    found = translations.extracted()
    console = [*found.get("console", []),
               ("app/web/templates/console/x.html", 1, "A brand-new string", [], None)]
    missing = translations.refresh("console", console)
    assert missing == [f"{copy}/th/LC_MESSAGES/console.po: 'A brand-new string'"]
    assert _messages(copy / "th" / "LC_MESSAGES" / "console.po")["A brand-new string"] == ""
