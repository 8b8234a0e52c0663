"""A correction to Litestar 2's automatic OPTIONS answers.

When several handlers share a path and are registered one by one (the case for every
feature: one slice per method), Litestar 2 keeps the OPTIONS handler made for the first
one, whose `Allow` header then lists only that first method (litestar#4169, fixed in
Litestar 3). `fix_options_allow_headers` points each automatic OPTIONS handler at the
route that really serves its path. tests/core/http/test_routing.py fails if this stops working.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute

__all__ = ("fix_options_allow_headers",)


def fix_options_allow_headers(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "OPTIONS" not in handler.http_methods or handler.handler_name != "options_handler":
                continue
            for cell in handler.fn.__closure__ or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route
