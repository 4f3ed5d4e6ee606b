"""Who may read /metrics (the shared decision of the gateway and the ASR ingest port)."""

from __future__ import annotations

from common.metrics_access import metrics_access


def test_metrics_are_off_without_a_token_and_say_how_to_turn_them_on() -> None:
    access = metrics_access("Bearer anything", token=None, setting="RATHAUS_METRICS_TOKEN")
    assert not access.allowed and access.status == 404 and "RATHAUS_METRICS_TOKEN" in access.reason


def test_only_the_right_bearer_token_reads_metrics() -> None:
    def check(header: str | None) -> int:
        return metrics_access(header, token="s3cret", setting="X").status

    assert check(None) == 401
    assert check("s3cret") == 401  # no scheme
    assert check("Basic s3cret") == 401
    assert check("Bearer wrong") == 401
    assert check("Bearer s3cret") == 200 and check("bearer  s3cret") == 200
