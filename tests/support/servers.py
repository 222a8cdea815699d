"""Tests that need a server binary (PostgreSQL, Redis, Java, Chromium) the machine may lack."""
from __future__ import annotations

import os
from typing import NoReturn

import pytest


def servers_required() -> bool:
    """CI installs every server binary (.ci/run), so a missing one there is a failure, never a silent skip."""
    return bool(os.environ.get("CI") or os.environ.get("JAMSTAT_REQUIRE_SERVERS")
                or os.environ.get("JAMSTAT_REQUIRE_POSTGRES"))


def server_missing(what: str, why: object) -> NoReturn:
    """Fail (CI) or skip (a developer machine without the binary), loudly either way."""
    message = f"\n\n!!! {what} NOT RUN: {why}\n"
    if servers_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
