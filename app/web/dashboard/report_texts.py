"""The leadership report's email texts (``send_reports``), in the dashboard's catalog with the
report itself."""

from __future__ import annotations

from app.web.i18n import N_

WHOLE_ORGANISATION = N_("The whole organisation")
SUBJECT = N_("Advocacy program report: %(name)s, %(first)s to %(last)s")
BODY = N_("The advocacy program report of %(first)s to %(last)s is attached (PDF).\n\n"
          "Every figure is defined on the dashboard.")
