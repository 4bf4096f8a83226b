"""The committed catalogs are complete and compiled: every string of the pages is in the
template, translated into Thai, and the ``.mo`` the app loads is the ``.po`` compiled.

Each page area has its own catalog (``domain_of`` in app/web/i18n.py). When this fails:
``make translations``, translate the new ``msgstr`` entries it names in
``app/web/translations/th/LC_MESSAGES/<catalog>.po``, then ``make translations`` again.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.web.i18n import DOMAINS, LANGUAGES, TRANSLATIONS_DIR, domain_of

ROOT = Path(__file__).resolve().parents[2]
FIX = "run `make translations`, translate the new entries, then run it again"


def _ids(catalog: Catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _extracted(domain: str) -> set[object]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[object] = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        if domain_of(filename.replace("\\", "/")) == domain:
            found.add(message if isinstance(message, str) else message[:2])
    return found


LOCALISED = [(lang, domain) for lang in LANGUAGES if lang != "en" for domain in DOMAINS]


def _flat(ids: set[object]) -> set[object]:
    return {i if isinstance(i, str) else tuple(i)[:2] for i in ids}  # type: ignore[arg-type]


def test_the_pages_have_strings_in_the_shared_catalog() -> None:
    assert len(_extracted(DOMAINS[0])) > 20, "has extraction (babel.cfg) broken?"


@pytest.mark.parametrize("domain", DOMAINS)
def test_template_holds_every_string_of_the_pages(domain: str) -> None:
    template = _flat(_ids(_read(TRANSLATIONS_DIR / f"{domain}.pot")))
    extracted = _extracted(domain)
    assert not extracted - template, f"strings missing from {domain}.pot: {FIX}"
    assert not template - extracted, f"{domain}.pot holds strings no page uses: {FIX}"


@pytest.mark.parametrize(("language", "domain"), LOCALISED)
def test_every_string_is_translated(language: str, domain: str) -> None:
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    catalog = _read(po)
    template = _flat(_ids(_read(TRANSLATIONS_DIR / f"{domain}.pot")))
    assert _flat(_ids(catalog)) == template, f"{po.name} is not up to date: {FIX}"
    untranslated = [m.id for m in catalog if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy (unchecked) in {language}: {fuzzy}"


@pytest.mark.parametrize(("language", "domain"), LOCALISED)
def test_compiled_catalog_is_the_po_compiled(language: str, domain: str) -> None:
    folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    compiled = BytesIO()
    write_mo(compiled, _read(folder / f"{domain}.po"))
    mo = folder / f"{domain}.mo"
    assert mo.exists(), f"{mo} is missing: {FIX}"
    assert mo.read_bytes() == compiled.getvalue(), f"{mo.name} is older than the .po: {FIX}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_thai_strings_format_like_the_english(domain: str) -> None:
    # Jinja's newstyle gettext %-formats every string: a translation must name the same
    # placeholders as its source and escape any other % as %%.
    catalog = _read(TRANSLATIONS_DIR / "th" / "LC_MESSAGES" / f"{domain}.po")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = _placeholders(ids[-1])
        for string in strings:
            assert _placeholders(string) == wanted, message.id
            string % {name: "x" for name in wanted}  # raises on a stray %


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)", text))


@pytest.mark.parametrize("domain", DOMAINS)
def test_thai_strings_bring_no_markup(domain: str) -> None:
    # Jinja marks translated text safe: a translation may hold no markup its source lacks.
    catalog = _read(TRANSLATIONS_DIR / "th" / "LC_MESSAGES" / f"{domain}.po")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            for char in "<>&\"":
                assert string.count(char) <= max(i.count(char) for i in ids), (
                    f"{message.id!r}: its Thai adds {char!r}")
