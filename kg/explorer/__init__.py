"""The explorer: pages in the browser for people who ask "who connects to whom" and don't write SPARQL.

Mounted by :func:`kg.server.create_app` beside the SPARQL endpoint (``kg serve``):

* ``/`` search, with suggestions as you type (any label, alias, Chinese name or misspelling);
* ``/entity/{slug}`` everything about one entity, with sources and a small graph;
* ``/path?from=A&to=B`` how two entities connect, hop by hop, drawn;
* ``/explore?focus=A`` a canvas to grow the picture click by click;
* ``/questions`` the saved questions as forms, answers as tables, CSV and JSON;
* ``/api/search``, ``/api/entity/{slug}``, ``/api/path``, ``/api/neighbors/{slug}``: the
  same JSON as the CLI's ``--json``.

Pages are rendered on the server (Starlette, Jinja2 with autoescape); a little
JavaScript adds suggestions and the graphs. Nothing is loaded from another
host, every response carries a Content-Security-Policy, and no route writes.
The answers come from the server's query workers (:mod:`kg.explorer.api`).
"""

from kg.explorer.web import routes

__all__ = ["routes"]
