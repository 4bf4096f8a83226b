"""The pages' one Jinja environment and ``render()``, which every page answers with.

Templates live in ``app/web/templates`` (found inside the installed package). Strings are
marked with ``_()`` or ``{% trans %}`` and translated into the request's language (see
:mod:`app.web.i18n`); numbers and dates go through the named filters of
:mod:`app.web.formatting` (``{{ clicks|number }}``, ``{{ ratio|percent(1) }}``,
``{{ amount|money("THB") }}``, ``{{ when|datetime }}``, ``{{ seconds|duration }}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.web import charts, i18n, navigation
from app.web.csrf import FORM_FIELD
from app.web.formatting import FILTERS
from app.web.viewer import Viewer

TEMPLATES_DIR = Path(__file__).parent / "templates"
PERSONAL = "no-store"
IMPERSONAL = "no-cache"
VARY = "Cookie, Accept-Language"


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden CSRF input every state-changing form carries: ``{{ csrf_field() }}``."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FORM_FIELD, escape(context.get("csrf_token") or ""))


def translated_environment(templates: Path, *, autoescape: Callable[[str | None], bool],
                           keep_trailing_newline: bool = False) -> Environment:
    """Templates under ``templates`` with gettext in the request's (or the set) language:
    strict undefined variables, block tags that leave no blank lines."""
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=autoescape,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
        undefined=StrictUndefined,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext,
        npgettext=i18n.npgettext)
    return env


@lru_cache
def environment() -> Environment:
    env = translated_environment(TEMPLATES_DIR,
                                 autoescape=select_autoescape(["html", "svg", "xml"]))
    env.filters.update(FILTERS)
    env.globals["csrf_field"] = csrf_field
    charts.install(env)
    return env


def _current_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def render_text(request: Request, name: str, context: Mapping[str, object] | None = None,
                *, viewer: Viewer | None = None) -> str:
    """The template ``name`` rendered for this request (what :func:`render` answers)."""
    state = request.app.state
    viewer = viewer or getattr(request.state, "viewer", None) or Viewer.visitor(request)
    values: dict[str, object] = {
        "request": request,
        "viewer": viewer,
        "user": viewer.user,
        "lang": viewer.language,
        "csrf_token": viewer.csrf_token,
        "asset": state.assets.url,
        "base_url": state.settings.base_url,
        "nav": navigation.areas_for(viewer.user),
        "path": request.url.path,
        "current_url": _current_url(request),
        "languages": i18n.LANGUAGES,
    }
    values.update(context or {})
    with i18n.using(i18n.PageLocale(viewer.language, state.settings.tz)):
        return environment().get_template(name).render(values)


def render(request: Request, name: str, context: Mapping[str, object] | None = None, *,
           status: int = 200, headers: Mapping[str, str] | None = None,
           personal: bool = True, viewer: Viewer | None = None) -> HTMLResponse:
    """A page: ``name`` rendered in the viewer's language, with the layout's shared values
    (``user``, ``lang``, ``csrf_token``, ``asset()``, ``base_url``, ``nav``) and the headers
    every page needs. ``personal=False`` only for pages that show nobody's data (/offline):
    they may be revalidated from a cache instead of never being stored."""
    viewer = viewer or getattr(request.state, "viewer", None) or Viewer.visitor(request)
    response = HTMLResponse(render_text(request, name, context, viewer=viewer),
                            status_code=status, headers=dict(headers or {}))
    response.headers["Cache-Control"] = PERSONAL if personal else IMPERSONAL
    response.headers["Vary"] = VARY
    response.headers["Content-Language"] = viewer.language
    return response
