"""The site's live links lead to the stream that is live (issue 11: dead links to /live/demo)."""

from __future__ import annotations

import re

from tests.channels.helpers import gateway


async def test_every_live_link_of_the_demo_site_reaches_the_default_stream() -> None:
    async with gateway(default_stream="ratssitzung") as client:
        page = await (await client.get("/")).text()
        links = re.findall(r'href="(/live[^"#]*)"', page)
        assert len(links) >= 2  # the navigation entry and the button
        for link in links:
            response = await client.get(link)
            assert response.status == 200, link
            assert response.url.path == "/live/ratssitzung", link
            assert "Ratssitzung live" in await response.text()


async def test_live_follows_the_configured_default_stream() -> None:
    async with gateway(default_stream="rat-2027") as client:
        response = await client.get("/live", allow_redirects=False)
        assert response.status == 302
        assert response.headers["Location"] == "/live/rat-2027"
