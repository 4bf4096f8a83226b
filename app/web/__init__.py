"""The web pages (CONTRACT §8): server-rendered HTML in English and Thai.

Adding a page area (``/console``, say) in ``app/web/console/``:

- ``router.py``: ``router = page_router()`` (:mod:`app.web.routing`), then routes that take a
  gate from :mod:`app.web.access` (``SignedInPage``, ``MarketerPage``, ``ManagerPage``,
  ``AdminPage``: a visitor gets the login form, a user without the role the 403 page) and
  the request's session (``DbSession`` from :mod:`app.core.routing`; committed when the
  answer is a success). Answer with ``render(request, "console/queue.html", {...})``
  (:mod:`app.web.templating`). Add the router to ``PAGE_ROUTERS`` in :mod:`app.web.install`.
- Forms: ``method="post"`` with ``{{ csrf_field() }}``; every unsafe request to a page route is
  checked for it (or the ``X-CSRF-Token`` header that ``static/js/csrf.js`` adds to htmx and
  ``csrfFetch``). Read fields with ``PageForm`` (:mod:`app.web.forms`).
- Templates in ``templates/console/`` extend ``base.html`` (blocks ``title``, ``main``,
  ``head``, ``scripts``); strings in ``_()`` / ``{% trans %}``; numbers and dates through the
  filters ``number``, ``decimal``, ``percent``, ``money``, ``date``, ``datetime``,
  ``duration``; files under ``static/`` by ``asset("js/queue.js")``. No ``style=``, no inline
  script, no ``hx-on``: the CSP forbids them.
- Then ``make translations``, translate the new Thai strings, ``make translations`` again.
"""
