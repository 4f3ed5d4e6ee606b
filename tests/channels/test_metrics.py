"""/metrics of the gateway: behind a token, and bounded whatever anonymous viewers do (issue 12, defect 9)."""

from __future__ import annotations

import re
import secrets

from channels.broker import MemoryBroker
from channels.gateway import FANOUT
from channels.messages import SubtitleCue
from tests.channels.helpers import gateway, next_frame, of_type, wait_until

AUTH = {"Authorization": "Bearer scrape-secret"}


async def test_metrics_need_the_token_and_are_off_without_one() -> None:
    async with gateway() as client:
        off = await client.get("/metrics")
        assert off.status == 404 and "RATHAUS_METRICS_TOKEN" in await off.text()
    async with gateway(metrics_token="scrape-secret") as client:
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status == 401
        assert (await client.get("/metrics", headers=AUTH)).status == 200


def viewer_series(text: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in re.finditer(r'^rathaus_gateway_viewers\{stream="([^"]*)"\} (\S+)$', text, re.M)}


async def test_viewers_of_made_up_streams_add_no_series() -> None:
    broker = MemoryBroker()
    await broker.publish(
        "subtitles:rat", SubtitleCue(stream="rat", seq=0, start=0.0, end=1.0, lines=("Guten Abend.",))
    )
    async with gateway(broker=broker, metrics_token="scrape-secret", ip_burst=1000) as client:
        real = await client.ws_connect("/ws/subtitles/rat")
        await next_frame(real, of_type("subtitle.cue"))
        before = len(await (await client.get("/metrics", headers=AUTH)).text())
        made_up = [await client.ws_connect(f"/ws/subtitles/x{secrets.token_hex(8)}") for _ in range(60)]
        fanout = client.app[FANOUT]  # type: ignore[index]
        await wait_until(lambda: fanout.viewer_count() == 61)
        text = await (await client.get("/metrics", headers=AUTH)).text()
        assert viewer_series(text) == {"rat": 1.0, "(other)": 60.0}
        assert len(text) < before + 500  # one aggregated series, not 60
        for ws in [real, *made_up]:
            await ws.close()
        await wait_until(lambda: fanout.viewer_count() == 0)
        text = await (await client.get("/metrics", headers=AUTH)).text()
        assert viewer_series(text) == {}  # nobody watching: no series left behind
    await broker.aclose()
