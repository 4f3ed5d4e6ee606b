"""Who may read ``/metrics``: one decision for every port that serves Prometheus text (gateway, ASR ingest).

Sans-I/O: the shell passes the request's ``Authorization`` header and the configured token, and answers
with the returned status and text. ``/metrics`` names streams, counts connections and errors, so it is not
for the public: without a token it is off, with one a scraper sends ``Authorization: Bearer <token>``
(Prometheus: ``authorization: {credentials: <token>}`` in the scrape config).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

__all__ = ["MetricsAccess", "metrics_access"]


@dataclass(frozen=True, slots=True)
class MetricsAccess:
    """``allowed``; otherwise the HTTP ``status`` and a plain-text ``reason`` that names the fix."""

    allowed: bool
    status: int = 200
    reason: str = ""


def metrics_access(authorization: str | None, *, token: str | None, setting: str) -> MetricsAccess:
    """Decide one ``/metrics`` request. ``setting`` is the variable that holds the token (for the hint)."""
    if not token:
        return MetricsAccess(
            False, 404, f"metrics are off: set {setting} and scrape with 'Authorization: Bearer <token>'\n"
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return MetricsAccess(False, 401, f"metrics need 'Authorization: Bearer <token>' (the value of {setting})\n")
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        return MetricsAccess(False, 401, f"wrong metrics token: compare with {setting}\n")
    return MetricsAccess(True)
