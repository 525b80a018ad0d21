"""Proves that `sam package` gives every function its own artifact, against an S3 bucket in a local moto server.

The template states its functions in one Fn::ForEach loop, and a SAM CLI issue reports packaged loops reusing the
first iteration's artifact for every function. So: package, then for every function of the packaged template
(loops expanded), download its zip and compare it, file by file, with the folder it was packaged from; and no two
functions may share an artifact.

    package_check.py            packages template.yaml as it is (each CodeUri is a source folder functions/<name>)
    package_check.py --built    packages .aws-sam/build/template.yaml (after `sam build`: each folder holds bootstrap)

Needs moto_server and boto3 (.venv), cfn-lint (.venv/infra), sam (.venv/sam); talks to 127.0.0.1 only.
"""

import hashlib
import io
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

import boto3

ROOT = pathlib.Path(__file__).resolve().parents[2]
INFRA_PYTHON = os.environ.get("INFRA_PYTHON", str(ROOT / ".venv/infra/bin/python"))
SAM = os.environ.get("SAM", str(ROOT / ".venv/sam/bin/sam"))
MOTO_SERVER = os.environ.get("MOTO_SERVER", str(ROOT / ".venv/bin/moto_server"))
BUCKET = "okta-lifecycle-package-check"


def expanded(template: pathlib.Path) -> dict:
    out = subprocess.run([INFRA_PYTHON, str(ROOT / "tests/infra/expand_template.py"), str(template)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def literal(value: object) -> object:
    """`{"Fn::Join": [sep, [literals]]}` and `{"Fn::Sub": [text, {name: literal}]}` as the text they make; anything
    else as it is."""
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        separator, items = value["Fn::Join"]
        if all(isinstance(item, str) for item in items):
            return separator.join(items)
    if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], list):
        text, variables = value["Fn::Sub"]
        if all(isinstance(v, str) for v in variables.values()):
            for name, v in variables.items():
                text = text.replace("${" + name + "}", v)
            return text
    return value


def functions(template: dict) -> dict[str, object]:
    return {lid: literal(r.get("Properties", {}).get("CodeUri")) for lid, r in template["Resources"].items()
            if r.get("Type") == "AWS::Serverless::Function"}


def folder_digest(folder: pathlib.Path) -> dict[str, str]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def zip_digest(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: hashlib.sha256(archive.read(info)).hexdigest()
                for info in archive.infolist() if not info.is_dir()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    built = "--built" in sys.argv[1:]
    template = ROOT / (".aws-sam/build/template.yaml" if built else "template.yaml")
    if not template.is_file():
        print(f"{template} is missing (run sam build first)", file=sys.stderr)
        return 1
    sources = functions(expanded(template))
    if not sources:
        print(f"{template}: no functions", file=sys.stderr)
        return 1
    expected: dict[str, dict[str, str]] = {}
    for lid, uri in sources.items():
        if not isinstance(uri, str):
            print(f"{lid}: CodeUri {uri!r} is not a folder after expansion", file=sys.stderr)
            return 1
        folder = template.parent / uri
        expected[lid] = folder_digest(folder)
        if not expected[lid]:
            print(f"{lid}: {folder} is empty", file=sys.stderr)
            return 1

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
           "SAM_CLI_TELEMETRY": "0", "AWS_ENDPOINT_URL": endpoint}
    env.pop("AWS_PROFILE", None)
    server = subprocess.Popen([MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers: up
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        with tempfile.TemporaryDirectory() as tmp:
            packaged_path = pathlib.Path(tmp) / "packaged.yaml"
            subprocess.run([SAM, "package", "--template-file", str(template), "--s3-bucket", BUCKET,
                            "--output-template-file", str(packaged_path), "--region", "us-east-1",
                            "--force-upload", "--language-extensions"], check=True, env=env, cwd=template.parent,
                           stdout=subprocess.DEVNULL)
            packaged = functions(expanded(packaged_path))
        problems = []
        seen: dict[str, str] = {}
        for lid, want in expected.items():
            uri = packaged.get(lid)
            if not (isinstance(uri, str) and uri.startswith(f"s3://{BUCKET}/")):
                problems.append(f"{lid}: packaged CodeUri is {uri!r}")
                continue
            data = s3.get_object(Bucket=BUCKET, Key=uri.split("/", 3)[3])["Body"].read()
            got = zip_digest(data)
            if got != want:
                problems.append(f"{lid}: {uri} does not hold its own folder ({len(got)} files, expected {len(want)})")
            digest = hashlib.sha256(json.dumps(got, sort_keys=True).encode()).hexdigest()
            if digest in seen:
                problems.append(f"{lid}: same artifact as {seen[digest]}")
            seen.setdefault(digest, lid)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f"sam package: {len(expected)} functions, each packaged from its own folder ({template.name})")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
