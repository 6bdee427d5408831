"""The operator console: server-rendered Chinese pages under /console for the authorities along the hierarchy.

mount(app) is the one hook central/app.py calls.
"""
from __future__ import annotations

from .web import MAX_UPLOAD_BYTES, PREFIX

# Body caps for central.limits.BodyLimit: the roster upload, and the console's forms (a correction's fields and
# comments URL-encoded, each Han character 9 bytes).
CAPS = {f"{PREFIX}/roster": MAX_UPLOAD_BYTES + 64 * 1024}
PREFIX_CAPS = {f"{PREFIX}/": 64 * 1024}


def mount(app):
    from . import routes_main, routes_records, routes_work
    from .web import HANDLERS, Console

    console = Console(app.state.central)
    app.state.console = console
    for module in (routes_main, routes_records, routes_work):
        app.include_router(module.router, prefix=PREFIX, include_in_schema=False)
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)
    return console
