"""The start page and the logo of a city served under ``/{city}/`` (docs/cities.md).

The default city's start page is the hand-written demo page; every city of a gateway that serves several
gets this generated page (``web/pages/city.html``): its name, logo, phone and e-mail from its content, and
the widget's script tag with ``data-city``, exactly what a city's own site embeds. Values are escaped.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import yaml
from aiohttp import web

from channels.settings import GatewaySettings

__all__ = ["logo_response", "render_city_page"]

_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


def _sample(content_root: Path) -> bool:
    try:
        data = yaml.safe_load((content_root / "municipality.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and bool(data.get("sample"))


def render_city_page(template: str, *, city: str, settings: GatewaySettings) -> str:
    """The city page: ``template`` with the city's values, each HTML-escaped."""
    name = settings.city_name or city
    sample = (
        f'<p class="sample-banner"><strong>Demo mit Beispieldaten:</strong> {html.escape(name)} ist erfunden. '
        "Alle Adressen, Telefonnummern und Links sind fiktiv.</p>"
        if _sample(settings.content_root)
        else ""
    )
    logo = f'<img src="/{city}/logo" alt="" width="44" height="50">' if settings.city_logo else ""
    values = {
        "name": html.escape(name),
        "city": html.escape(city),
        "home": f"/{html.escape(city)}/",
        "phone": html.escape(settings.city_phone or ""),
        "email": html.escape(settings.city_email or ""),
        "logo": logo,
        "sample": sample,
    }
    page = template
    for key, value in values.items():
        page = page.replace("{" + key + "}", value)
    return page


async def logo_response(settings: GatewaySettings) -> web.StreamResponse:
    """The city's logo file (``branding.logo`` of its content), or 404."""
    path = settings.city_logo
    if path is None or path.suffix not in _LOGO_TYPES or not await asyncio.to_thread(path.is_file):
        raise web.HTTPNotFound(text="this city has no logo")
    return web.FileResponse(path, headers={"Content-Type": _LOGO_TYPES[path.suffix], "Cache-Control": "no-cache"})
