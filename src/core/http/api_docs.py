"""The OpenAPI document and interactive docs that work with no internet access.

`/schema/openapi.json` is Litestar's generated OpenAPI 3.1 document. `/docs` is Swagger
UI, served entirely by this service: the renderer's assets come from the swagger-ui-py
package (an offline copy of swagger-ui-dist) and the start-up script is a file of ours,
so the page needs no CDN and no inline script (its CSP can forbid both).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

import msgspec
from litestar import Router, get
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Contact, License, Reference, Schema, SecurityScheme, Tag
from litestar.params import FromPath
from litestar.response import File
from litestar.typing import FieldDefinition

from src.core.errors import NotFound
from src.core.http.api_contract import ContractJsonRenderPlugin

__all__ = ("DOCS_PATH", "SCHEMA_PATH", "StrictStructSchemaPlugin", "docs_router", "openapi_config")

SCHEMA_PATH: Final = "/schema"
DOCS_PATH: Final = "/docs"
API_TITLE: Final = "Avatar API"
API_VERSION: Final = "1.0.0"

_DOCS_HTML: Final = b"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Avatar API - interactive docs</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/start-docs.js"></script>
</body>
</html>
"""
_START_SCRIPT: Final = b"""window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/schema/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    persistAuthorization: false,
    validatorUrl: null
  });
});
"""
# Only what the page loads is served, not the whole package directory.
_ASSET_TYPES: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_ASSETS_CACHE: Final = CacheControlHeader(public=True, max_age=86_400)


def _swagger_ui_directory() -> Path:
    # Found without importing the package (its __init__ pulls in Jinja and YAML).
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; it provides the /docs assets")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@get("/", media_type="text/html; charset=utf-8", include_in_schema=False, sync_to_thread=False)
def docs_page() -> bytes:
    return _DOCS_HTML


@get("/assets/start-docs.js", media_type="text/javascript; charset=utf-8", include_in_schema=False)
async def docs_start_script() -> bytes:
    return _START_SCRIPT


@get("/assets/{name:str}", include_in_schema=False, cache_control=_ASSETS_CACHE)
async def docs_asset(name: FromPath[str]) -> File:
    media_type = _ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFound(f"No documentation asset named {name!r}.")
    return File(_swagger_ui_directory() / name, media_type=media_type, content_disposition_type="inline")


docs_router = Router(
    path=DOCS_PATH,
    route_handlers=[docs_page, docs_start_script, docs_asset],
    opt={"skip_rate_limit": True},
)


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Says `additionalProperties: false` for Structs that refuse unknown fields.

    Litestar's own plugin leaves it out, so the document would promise that extra
    properties are accepted while the service answers them with 400; SDK generators and
    fuzzers believe the document. (Extends a Litestar-internal class; tests/test_openapi.py
    fails if an upgrade changes what it produces.)
    """

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def openapi_config(
    *, description: str, tags: list[Tag], security_schemes: dict[str, SecurityScheme | Reference]
) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=API_TITLE,
        version=API_VERSION,
        description=description,
        path=SCHEMA_PATH,
        # Litestar adds the document's route to this router; the document is never rate limited.
        openapi_router=Router(SCHEMA_PATH, route_handlers=[], include_in_schema=False, opt={"skip_rate_limit": True}),
        render_plugins=[ContractJsonRenderPlugin()],
        license=License(name="MIT", identifier="MIT"),
        contact=Contact(name="Avatar API maintainers"),
        tags=tags,
        components=Components(security_schemes=security_schemes),
        use_handler_docstrings=False,
        create_examples=False,
    )
