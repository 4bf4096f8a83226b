"""HTML form bodies (``application/x-www-form-urlencoded``), read once per request.

Chorus has no multipart parser installed (FastAPI's ``Form()`` needs python-multipart), and
the pages' forms carry only text: this reads them with the standard library. The form is
kept on the request, so the CSRF check and the page read one parse of it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 200


class BadForm(Exception):
    """The body is not a form we can read (not UTF-8, too many fields)."""


async def read_form(request: Request) -> FormData:
    cached = getattr(request.state, "form", None)
    if isinstance(cached, FormData):
        return cached
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    form = FormData()
    if media_type == URLENCODED:
        try:
            text = (await request.body()).decode("utf-8")
            fields: list[tuple[str, str | UploadFile]] = list(
                parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS))
            form = FormData(fields)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadForm(str(exc)) from exc
    request.state.form = form
    return form


PageForm = Annotated[FormData, Depends(read_form)]
"""The request's form fields (empty for other bodies)."""
