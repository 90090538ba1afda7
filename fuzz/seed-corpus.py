#!/usr/bin/env python3
"""Seed the fuzz corpora (fuzz/corpus/<target>/) from the repository's own inputs.

    python3 fuzz/seed-corpus.py

- json_parse:     every JSON file under fixtures/ and tests/ (conformance, data, bad inputs),
                  and each line of tests/data/*.jsonl
- policy_parse:   the fixtures' policy files, tests/data and tests/bad-inputs, and every policy
                  document inside the snapshots and the conformance requests (pretty-printed,
                  so that positions span lines)
- eval_request:   every conformance case's request as one JSON object (with its "unknown"
                  keys), and each line of tests/data/example-requests.jsonl
- snapshot_rules: fixtures/*/snapshot.json

Files are named by the hash of their content, so running it again adds nothing twice. Only the
standard library is used.
"""

import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def policies_in_request(req):
    for p in req.get("identity_policies") or []:
        yield p
    if isinstance(req.get("resource_policy"), dict):
        yield req["resource_policy"]
    for p in req.get("permission_boundaries") or []:
        yield p
    for level in req.get("scps") or []:
        for p in level if isinstance(level, list) else [level]:
            yield p


def policies_in_snapshot(snap):
    key = snap.get("key") or {}
    role = snap.get("role") or {}
    if key.get("policy") is not None:
        yield key["policy"]
    for name in ("trust_policy", "AssumeRolePolicyDocument"):
        if role.get(name) is not None:
            yield role[name]
    for name in ("inline_policies", "attached_policies"):
        for item in role.get(name) or []:
            if isinstance(item, dict) and "document" in item:
                yield item["document"]
    boundary = role.get("permissions_boundary")
    if isinstance(boundary, dict) and "document" in boundary:
        yield boundary["document"]


def policy_seed(p):
    # Documents given as (possibly URL-encoded) text are seeded as that text.
    return p if isinstance(p, str) else json.dumps(p, indent=2)


def main():
    json_files = [
        p
        for p in sorted(ROOT.glob("fixtures/**/*.json"))
        if "expected" not in p.parts
    ]
    json_files += sorted(ROOT.glob("tests/conformance/*.json"))
    json_files += sorted(ROOT.glob("tests/data/*.json"))
    json_files += sorted(ROOT.glob("tests/bad-inputs/*.json"))
    for p in json_files:
        add("json_parse", p.read_bytes())
    for p in sorted(ROOT.glob("tests/data/*.jsonl")):
        for line in p.read_text().splitlines():
            if line.strip():
                add("json_parse", line)
                add("eval_request", line)
                for pol in policies_in_request(json.loads(line)):
                    add("policy_parse", policy_seed(pol))

    for p in sorted(ROOT.glob("fixtures/*/*.json")):
        if p.name == "snapshot.json":
            add("snapshot_rules", p.read_bytes())
            try:
                snap = json.loads(p.read_text())
            except ValueError:
                continue
            for pol in policies_in_snapshot(snap):
                add("policy_parse", policy_seed(pol))
        else:
            add("policy_parse", p.read_bytes())
    for p in sorted(ROOT.glob("tests/data/*.json")) + sorted(ROOT.glob("tests/bad-inputs/*")):
        add("policy_parse", p.read_bytes())

    for p in sorted(ROOT.glob("tests/conformance/*.json")):
        for case in json.loads(p.read_text()):
            req = dict(case["request"])
            if case.get("unknown"):
                req["unknown"] = case["unknown"]
            add("eval_request", json.dumps(req))
            for pol in policies_in_request(req):
                add("policy_parse", policy_seed(pol))

    for t in sorted(CORPUS.iterdir()):
        print(f"{t.name}: {sum(1 for _ in t.iterdir())} seeds")


if __name__ == "__main__":
    main()
