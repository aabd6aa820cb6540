"""The floor: a minimal Chalice app that parses JSON and does one put_item.

It creates its DynamoDB client lazily with the same settings as the real
app, so both pay the same AWS client cost and the difference is our code.
"""

from __future__ import annotations

import json
import os
from typing import Any

from chalice.app import Chalice, Response

app = Chalice(app_name="next-steps-baseline")

_db: Any = None


def _client() -> Any:
    global _db
    if _db is None:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
        _db = boto3.client("dynamodb", config=config)
    return _db


@app.route("/leads", methods=["POST"], content_types=["*/*"])
def create_lead() -> Response:
    """Store the posted JSON object as one item."""
    from boto3.dynamodb.types import TypeSerializer

    data = json.loads(app.current_request.raw_body or b"{}")
    lead_id = os.urandom(16).hex()
    item = {"pk": f"LEAD#{lead_id}", "sk": "LEAD", **data}
    serializer = TypeSerializer()
    _client().put_item(
        TableName=os.environ.get("LEADS_TABLE", "next-steps-baseline-leads"),
        Item={k: serializer.serialize(v) for k, v in item.items() if v is not None},
        ConditionExpression="attribute_not_exists(pk)",
    )
    return Response(
        body=json.dumps({"lead_id": lead_id}), status_code=201, headers={"Content-Type": "application/json"}
    )
