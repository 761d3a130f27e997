"""Item 12: nothing from third parties — the API docs use the Swagger UI bundled with ninja, and every response
carries a Content-Security-Policy that allows our own origin only. (The browser proof is
tests/acceptance/test_offline_assets_browser.py.)"""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def test_item_12_the_api_docs_load_the_bundled_swagger_ui_from_our_static_files(db: None) -> None:
    page = Client().get("/api/v1/docs").content.decode()

    assets = ASSET.findall(page)
    assert "/static/ninja/swagger-ui-bundle.js" in assets and "/static/ninja/swagger-ui.css" in assets
    assert [url for url in assets if "//" in url] == []  # no CDN, no favicon from django-ninja.dev
    assert all(finders.find(url.removeprefix("/static/")) for url in assets)


@pytest.mark.parametrize("url", ["/login/", "/api/v1/docs", "/admin/login/", "/api/v1/jobs"])
def test_item_12_every_response_allows_our_own_origin_only(db: None, url: str) -> None:
    directives = policy(Client().get(url))

    assert directives["default-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]  # Swagger UI's icons are data: URLs in its own CSS
    assert directives["object-src"] == directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == directives["form-action"] == ["'self'"]
    assert not {"script-src", "style-src", "connect-src", "font-src"} & directives.keys()  # all as default-src
