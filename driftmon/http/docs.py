"""/docs: Swagger UI over /openapi.json, its script, styles and icon served by driftmon itself.

FastAPI's default page loads Swagger UI from a CDN, so it is blank on a machine without the
internet; the `swagger-ui-bundle` package ships the same files. ReDoc has no such package and
is not served.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_ASSETS = "/docs/assets"


def add_docs(app: FastAPI) -> None:
    """Serve /docs from the installed Swagger UI files (the app is built with docs_url=None)."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # behind a reverse proxy's prefix
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png",
        )
