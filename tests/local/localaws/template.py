"""template.yaml as the harness reads it: each state machine's definition file and its `DefinitionSubstitutions`,
with the values they would have in a stack named `okta-lifecycle`.

The template is read the way the validators read it (tests/infra/expand_template.py): cfn-lint's YAML loader, which
knows CloudFormation's short tags (`!GetAtt`, `!Ref`, `!Sub`, ...), then cfn-lint's implementation of the
`AWS::LanguageExtensions` transform, which expands the `Fn::ForEach` loops that make the action functions. cfn-lint
comes with moto[server] (tests/requirements.txt), so the harness's virtualenv has it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from .config import ACCOUNT, REGION, REPO, STACK, function_arn
from .flows import state_machine_arn

STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def expanded_template(template: Path = REPO / "template.yaml") -> dict[str, Any]:
    """The template as CloudFormation deploys it: short tags as their long form (`{"Fn::GetAtt": [X, "Arn"]}`),
    `Fn::ForEach` loops expanded. Cached per file and modification time (reading it takes about a second)."""
    template = Path(template).resolve()
    return _expanded(template, template.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _expanded(template: Path, _mtime: int) -> dict[str, Any]:
    from cfnlint.decode import decode
    from cfnlint.template import Template
    from cfnlint.template.transforms._language_extensions import language_extension

    parsed, problems = decode(str(template))
    if problems or parsed is None:
        raise ValueError(f"{template}: {problems}")
    problems, expanded = language_extension(Template(str(template), parsed, [REGION]))
    if problems or expanded is None:
        raise ValueError(f"{template}: {problems}")
    return expanded


def sub(text: str) -> str:
    """The pseudo parameters of a `!Sub` text, as stack `okta-lifecycle` in the test account has them."""
    return (text.replace("${AWS::StackName}", STACK).replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Partition}", "aws"))


def flow_name_of(definition: Path) -> str:
    """`infra/onboarding.asl.json` → `onboarding`."""
    return definition.name.split(".")[0]


def function_binary_name(logical_id: str, resource: dict[str, Any]) -> str:
    """The binary behind a function resource: cargo-lambda's `Metadata.BuildProperties.Binary`, else the folder of
    a literal `CodeUri: functions/<name>`, else the logical id in kebab case without its `Function` suffix."""
    binary = ((resource.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
    if isinstance(binary, str):
        return binary
    code_uri = (resource.get("Properties") or {}).get("CodeUri")
    if isinstance(code_uri, str):
        m = re.match(r"^\.?/?functions/([\w-]+)", code_uri)
        if m:
            return m.group(1)
    base = re.sub(r"Function$", "", logical_id)
    return re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    """{parameter: its Default}, as a stack deployed with no overrides gets them."""
    return {name: str(p["Default"]) for name, p in (template.get("Parameters") or {}).items()
            if isinstance(p, dict) and "Default" in p}


def definition_substitutions(template: Path = REPO / "template.yaml") -> dict[str, dict[str, Any]]:
    """{state machine logical id: {"definition": path, "flow": name, "subs": {placeholder: value}}}, with values as
    they would be deployed as stack `okta-lifecycle`: a function's `!GetAtt X.Arn` becomes
    `arn:aws:lambda:us-east-1:123456789012:function:<binary name>`, a state machine's `!Ref` its ARN, a role's
    `!GetAtt X.Arn` a role ARN, a parameter's `!Ref` its default, another resource's `!Ref` its `Name` (with
    `${AWS::StackName}` filled in) or `okta-lifecycle-<logical id>`."""
    template = Path(template)
    expanded = expanded_template(template)
    resources: dict[str, dict[str, Any]] = expanded.get("Resources") or {}
    defaults = parameter_defaults(expanded)
    machines: dict[str, dict[str, Any]] = {}
    for lid, resource in resources.items():
        if resource.get("Type") not in STATE_MACHINE_TYPES:
            continue
        props = resource.get("Properties") or {}
        uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
        definition = template.parent / uri if isinstance(uri, str) else None
        machines[lid] = {"definition": definition, "flow": flow_name_of(definition) if definition else lid,
                         "subs": {}}

    def resolve(value: Any) -> str:
        if isinstance(value, str):
            return sub(value)
        if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
            return sub(value["Fn::Sub"])
        if isinstance(value, dict) and list(value) == ["Fn::GetAtt"]:
            target = value["Fn::GetAtt"][0] if isinstance(value["Fn::GetAtt"], list) else \
                value["Fn::GetAtt"].split(".")[0]
        elif isinstance(value, dict) and list(value) == ["Ref"]:
            target = value["Ref"]
            if target in defaults:
                return defaults[target]
        else:
            raise ValueError(f"a DefinitionSubstitutions value the harness cannot resolve: {value!r}")
        resource = resources.get(target) or {}
        rtype = resource.get("Type", "")
        if rtype in FUNCTION_TYPES:
            return function_arn(function_binary_name(target, resource))
        if target in machines:
            return state_machine_arn(machines[target]["flow"])
        if rtype == "AWS::S3::Bucket":
            return f"{STACK}-{target}".lower()
        if rtype == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{target}"
        name = (resource.get("Properties") or {}).get("Name")
        if name is not None:
            return resolve(name)
        return f"{STACK}-{target}"

    for lid, machine in machines.items():
        subs = (resources[lid].get("Properties") or {}).get("DefinitionSubstitutions") or {}
        machine["subs"] = {key: resolve(value) for key, value in subs.items()}
    return machines
