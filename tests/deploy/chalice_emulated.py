"""Run the `chalice` command line against the AWS emulator (moto server).

Emulator-only shim, used by the deploy tests and nowhere else: Chalice
imports its REST API as a Swagger 2.0 document, and moto's API Gateway
accepts only OpenAPI 3 documents (it refuses any body with a "swagger" key)
and reads `info.description`, which Chalice does not write. Real API Gateway
takes Chalice's document as it is. So, on the way to the emulator only, the
document is relabelled as OpenAPI 3 and given a description; its paths and
integrations are passed on untouched. Everything else is stock Chalice.

    python tests/deploy/chalice_emulated.py deploy --stage dev
"""

from __future__ import annotations

import sys
from typing import Any

from chalice import awsclient
from chalice.cli import main

_import_rest_api = awsclient.TypedAWSClient.import_rest_api
_update_api_from_swagger = awsclient.TypedAWSClient.update_api_from_swagger


def _as_openapi3(document: dict[str, Any]) -> dict[str, Any]:
    relabelled = {k: v for k, v in document.items() if k != "swagger"}
    relabelled["openapi"] = "3.0.1"
    relabelled["info"] = {"description": "Next Steps", **document.get("info", {})}
    return relabelled


def import_rest_api(self: Any, swagger_document: dict[str, Any], endpoint_type: str) -> str:
    return _import_rest_api(self, _as_openapi3(swagger_document), endpoint_type)  # type: ignore[no-any-return]


def update_api_from_swagger(self: Any, rest_api_id: str, swagger_document: dict[str, Any]) -> None:
    _update_api_from_swagger(self, rest_api_id, _as_openapi3(swagger_document))


awsclient.TypedAWSClient.import_rest_api = import_rest_api  # type: ignore[method-assign]
awsclient.TypedAWSClient.update_api_from_swagger = update_api_from_swagger  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
