"""PDF rendering, in a child process (see :mod:`app.analytics.reports.pdf_process`)."""

from __future__ import annotations

import asyncio
import contextlib
import sys

RENDER_SECONDS = 120


class RenderFailed(RuntimeError):
    pass


async def render_pdf(html: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.analytics.reports.pdf_process",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(html.encode("utf-8")),
                                          RENDER_SECONDS)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if process.returncode != 0 or not out.startswith(b"%PDF-"):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RenderFailed(f"the PDF renderer failed ({process.returncode}): {tail[0]}")
    return out
