"""The pages' gettext catalogs, brought up to date: ``make translations [DOMAINS=app]``.

Extracts every string of the pages (``babel.cfg``), splits them by catalog (``domain_of``
in app/web/i18n.py: each page area has its own, the rest is ``messages``), writes each
``.pot``, merges it into each language's ``.po`` (new strings arrive untranslated, strings
no page uses any more are dropped) and compiles the ``.mo``. Translate the empty
``msgstr`` entries it reports, then run it again to compile them.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import cast

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from app.web.i18n import DEFAULT_LANGUAGE, DOMAINS, LANGUAGES, TRANSLATIONS_DIR, domain_of

ROOT = Path(__file__).resolve().parent.parent
Found = tuple[str, int, object, list[str], str | None]


def extracted() -> dict[str, list[Found]]:
    """Every message of the pages, by catalog (a message used in two areas is in both)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, list[Found]] = defaultdict(list)
    for filename, line, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map):
        path = filename.replace("\\", "/")
        found[domain_of(path)].append((path, line, message, comments, context))
    return found


def template_of(messages: list[Found]) -> Catalog:
    catalog = Catalog(project="Chorus", copyright_holder="Chorus contributors")
    for path, _line, message, comments, context in sorted(messages, key=lambda m: m[:2]):
        # Files without line numbers: a template edit must not rewrite every catalog.
        where = cast(list[tuple[str, int]], [(path, None)])
        catalog.add(message, locations=where, auto_comments=comments,  # type: ignore[arg-type]
                    context=context)
    return catalog


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_by_file=True, ignore_obsolete=True)


def refresh(domain: str, messages: list[Found]) -> list[str]:
    """Write the domain's template, merged catalogs and compiled files; the untranslated."""
    template = template_of(messages)
    _write(TRANSLATIONS_DIR / f"{domain}.pot", template)
    missing: list[str] = []
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
        po = folder / f"{domain}.po"
        if po.exists():
            catalog = _read(po)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=language, project="Chorus",
                              copyright_holder="Chorus contributors")
            catalog.update(template, no_fuzzy_matching=True)
        _write(po, catalog)
        with (folder / f"{domain}.mo").open("wb") as handle:
            write_mo(handle, catalog)
        shown = po.relative_to(ROOT) if po.is_relative_to(ROOT) else po
        missing += [f"{shown}: {m.id!r}" for m in catalog
                    if m.id and (not m.string or (isinstance(m.string, tuple)
                                                  and not all(m.string)))]
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domains", nargs="*", metavar="DOMAIN",
                        help=f"catalogs to refresh, of {', '.join(DOMAINS)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.domains) - set(DOMAINS))
    if unknown:
        parser.error(f"unknown catalog(s): {', '.join(unknown)}")
    found = extracted()
    missing: list[str] = []
    for domain in args.domains or DOMAINS:
        missing += refresh(domain, found.get(domain, []))
        print(f"{domain}: {len(found.get(domain, []))} strings")
    for line in missing:
        print(f"untranslated: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
