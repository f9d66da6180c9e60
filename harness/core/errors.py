"""The one exception that ends a run before it could be done (exit status 2)."""

from __future__ import annotations


class Fatal(Exception):
    """The run cannot be done: missing dependency, bad arguments, an adapter
    that will not start or says no proper hello. The message is one line and
    is printed as `ssespec: <message>`."""

    exit_status = 2
