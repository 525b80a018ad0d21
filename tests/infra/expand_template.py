"""Prints template.yaml as CloudFormation's AWS::LanguageExtensions transform leaves it (Fn::ForEach loops expanded),
with cfn-lint's implementation of that transform, so that checkov, which does not expand loops, sees every
resource. Usage: expand_template.py TEMPLATE > expanded.json"""

import json
import sys

from cfnlint.decode import decode
from cfnlint.template import Template
from cfnlint.template.transforms._language_extensions import language_extension


def expand(path: str) -> dict:
    parsed, problems = decode(path)
    if problems or parsed is None:
        sys.exit(f"{path}: {problems}")
    template = Template(path, parsed, ["us-east-1"])
    problems, expanded = language_extension(template)
    if problems or expanded is None:
        sys.exit(f"{path}: {problems}")
    transforms = expanded.get("Transform")
    if isinstance(transforms, list):
        expanded["Transform"] = [t for t in transforms if t != "AWS::LanguageExtensions"]
    if any(key.startswith("Fn::ForEach") for key in expanded.get("Resources", {})):
        sys.exit(f"{path}: a Fn::ForEach loop is left after expansion")
    return expanded


if __name__ == "__main__":
    json.dump(expand(sys.argv[1]), sys.stdout, indent=1, default=str)
