"""Two cities on one gateway, as a citizen sees them in Debian's chromium (docs/cities.md): each city's page
carries its own widget, name and colour, and asking for a person there gives that city's phone and e-mail,
never the other city's."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from content.root import sample_root
from tests.web.conftest import axe_serious, closed_rasa_url, run_gateway

pytestmark = pytest.mark.browser

MUSTERSTADT = sample_root()
BEISPIELHAUSEN = MUSTERSTADT.parent / "beispielhausen"
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
CITIES = {
    "musterstadt": ("Musterstadt", "tel:08001234560", "mailto:buergerservice@musterstadt.example"),
    "beispielhausen": ("Beispielhausen", "tel:07005550100", "mailto:rathaus@beispielhausen.example"),
}


@pytest.mark.parametrize("width", [1280, 375])
async def test_each_city_page_has_its_own_widget_and_contacts(new_page, monkeypatch, width: int) -> None:
    for name in ("RATHAUS_CONTENT", "RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RATHAUS_CITIES", f"{MUSTERSTADT},{BEISPIELHAUSEN}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with run_gateway(rasa_url=closed_rasa_url()) as gateway:
        colours = set()
        for city, (name, phone, email) in CITIES.items():
            other = next(n for c, (n, _, _) in CITIES.items() if c != city)
            page, requests = await new_page(viewport={"width": width, "height": 800})
            await page.goto(f"{gateway.url}/{city}/")
            await page.get_by_role("button", name="Fragen an die Stadt").click()
            dialog = page.get_by_role("dialog")
            await expect(dialog).to_contain_text(name)
            await dialog.locator("button.rh-human").click()
            system = page.get_by_role("log").locator(".rh-msg--system")
            await expect(system.last).to_contain_text("niemand im Chat erreichbar")
            await expect(system.last.locator(f'a[href="{phone}"]')).to_be_visible()
            await expect(system.last.locator(f'a[href="{email}"]')).to_be_visible()
            assert other not in await dialog.inner_text()
            colours.add(await dialog.evaluate("e => getComputedStyle(e).getPropertyValue('--rh-primary').trim()"))
            await page.screenshot(path=str(SHOTS / f"city-{city}-{width}.png"))
            assert await axe_serious(page) == []
            assert requests.errors == []
        assert len(colours) == 2, f"both cities show the same colour: {colours}"
