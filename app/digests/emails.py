"""The reminder digest email: HTML and plain-text parts in the advocate's language.

Templates live in ``app/digests/templates`` (``reminder.html`` autoescaped, ``reminder.txt``
not). Strings are translated with the pages' gettext set-up (``app.web.i18n``), from their
own ``email`` catalog (``make translations`` extracts it with the pages' catalogs).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, select_autoescape

from app.core.mail import Mail
from app.web import i18n
from app.web.i18n import ngettext
from app.web.templating import translated_environment

TEMPLATES_DIR = Path(__file__).parent / "templates"
_SUMMARY_CHARS = 280


@dataclass(frozen=True)
class DigestPost:
    """A post as a digest lists it: ``link`` opens it in ``/app``, ready to share."""

    id: str
    title: str | None
    summary: str | None
    link: str


def post_link(base_url: str, post_id: str) -> str:
    """The post's page in ``/app``: its caption and one tap to each network."""
    return f"{base_url}/app/posts/{post_id}"


def short(text: str | None, limit: int = _SUMMARY_CHARS) -> str | None:
    """``text`` on one line, cut at a word before ``limit`` characters."""
    if not text:
        return None
    text = " ".join(text.split())
    if len(text) <= limit:
        return text or None
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"


@lru_cache
def environment() -> Environment:
    return translated_environment(
        TEMPLATES_DIR, autoescape=select_autoescape(["html"], default_for_string=False),
        keep_trailing_newline=True)


def language_of(language: str | None) -> str:
    """The user's language when the emails are written in it, else English (an email has no
    ``Accept-Language`` to fall back on)."""
    return i18n.supported(language) or i18n.DEFAULT_LANGUAGE


def reminder_mail(*, to: str, name: str, language: str | None, posts: list[DigestPost],
                  total: int, base_url: str) -> Mail:
    """The digest of ``total`` new posts, listing ``posts`` (the newest of them)."""
    lang = language_of(language)
    with i18n.using(i18n.PageLocale(lang)):
        subject = ngettext("%(count)s new post to share", "%(count)s new posts to share",
                           total) % {"count": total}
        context = {
            "lang": lang, "subject": subject, "name": name, "total": total,
            "more": max(0, total - len(posts)), "app_url": f"{base_url}/app",
            "settings_url": f"{base_url}/app/settings",
            "posts": [{"title": p.title, "summary": short(p.summary), "link": p.link}
                      for p in posts],
        }
        env = environment()
        text = env.get_template("reminder.txt").render(context)
        html = env.get_template("reminder.html").render(context)
    return Mail(to=to, subject=subject, text=text, html=html)
