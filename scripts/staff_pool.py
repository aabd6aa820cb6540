"""The staff user pool in the emulator, from infra/stack.yaml's own definition.

moto 5.2.5's CloudFormation has no AWS::Cognito::* resources at all (a stack
naming one fails to create: "No Moto CloudFormation support for
AWS::Cognito::UserPool"). So locally the Cognito resources and the outputs
that name them are taken out of the template before moto deploys it, and
created here through moto's cognito-idp API with the template's properties,
which are the API's parameters under the same names (the pool's name and its
EnabledMfas aside). The outputs come back under the template's output names.
"""

from __future__ import annotations

import json
from typing import Any

COGNITO = "AWS::Cognito::"


def split_template(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the template without its Cognito resources and their outputs, those resources by logical id)."""
    resources = template["Resources"]
    cognito = {name: r for name, r in resources.items() if r["Type"].startswith(COGNITO)}
    rest = dict(template, Resources={k: v for k, v in resources.items() if k not in cognito})
    outputs = template.get("Outputs", {})
    rest["Outputs"] = {key: out for key, out in outputs.items() if not any(name in json.dumps(out) for name in cognito)}
    return rest, cognito


class _Resolver:
    """The few intrinsics the Cognito resources use: Ref, Fn::Sub, Fn::If on the template's conditions."""

    def __init__(self, template: dict[str, Any], params: dict[str, str], region: str, account: str) -> None:
        self.template = template
        self.refs: dict[str, Any] = {
            name: p.get("Default") for name, p in template.get("Parameters", {}).items()
        } | dict(params)
        self.refs.update({"AWS::Region": region, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com"})
        self.refs["AWS::Partition"] = "aws"

    def condition(self, name: str) -> bool:
        [(fn, args)] = self.template["Conditions"][name].items()
        if fn != "Fn::Equals":
            raise ValueError(f"condition {name}: only Fn::Equals is understood here")
        left, right = (self.value(a) for a in args)
        return bool(left == right)

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.value(n) for n in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return self.refs[node["Ref"]]
        if set(node) == {"Fn::Sub"}:
            text = node["Fn::Sub"]
            for name, val in self.refs.items():
                text = text.replace("${" + name + "}", str(val))
            return text
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return self.value(yes if self.condition(name) else no)
        return {k: self.value(v) for k, v in node.items()}


def create_staff_pool(
    cognito: Any, template: dict[str, Any], params: dict[str, str], region: str, account: str = "123456789012"
) -> dict[str, str]:
    """Create the template's user pool, app client and groups with the cognito-idp API; their outputs."""
    _, resources = split_template(template)
    resolve = _Resolver(template, params, region, account)
    by_type = {r["Type"]: (name, r) for name, r in resources.items() if r["Type"] != f"{COGNITO}UserPoolGroup"}
    pool_name, pool = by_type[f"{COGNITO}UserPool"]
    props = resolve.value(pool["Properties"])
    enabled_mfas = props.pop("EnabledMfas", [])
    props["PoolName"] = props.pop("UserPoolName")
    created = cognito.create_user_pool(**props)["UserPool"]
    pool_id, pool_arn = created["Id"], created["Arn"]
    resolve.refs[pool_name] = pool_id
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": "SOFTWARE_TOKEN_MFA" in enabled_mfas},
        MfaConfiguration=props.get("MfaConfiguration", "OFF"),
    )
    client_name, client = by_type[f"{COGNITO}UserPoolClient"]
    client_id = cognito.create_user_pool_client(**resolve.value(client["Properties"]))["UserPoolClient"]["ClientId"]
    resolve.refs[client_name] = client_id
    for resource in resources.values():
        if resource["Type"] == f"{COGNITO}UserPoolGroup":
            cognito.create_group(**resolve.value(resource["Properties"]))
    resolve.refs[f"{pool_name}.Arn"] = pool_arn
    outputs: dict[str, str] = {}
    for key, out in template.get("Outputs", {}).items():
        if any(name in json.dumps(out) for name in resources):
            value = out["Value"]
            if set(value) == {"Fn::GetAtt"}:
                outputs[key] = resolve.refs[".".join(value["Fn::GetAtt"])]
            else:
                outputs[key] = str(resolve.value(value))
    return outputs


def emulator_template(text: str) -> str:
    """infra/stack.yaml's text as moto's CloudFormation can deploy it: JSON, without the Cognito resources."""
    import yaml

    rest, _ = split_template(yaml.safe_load(text))
    return json.dumps(rest)
