#!/usr/bin/env python3
"""Cut GitHub's OpenAPI description down to the operations mlops-ci calls.

prism loads and dereferences the whole description (~13 MB, ~1000 operations) before it
listens, which takes tens of seconds and ~1 GiB on a small CI machine. The contract tests only
need the operations below. Every component they reference, directly or through other
components, is copied byte-for-byte: the schemas that validate requests and responses are
GitHub's own, untouched.

Usage: trim-github-openapi.py FULL.json TRIMMED.json
"""

import json
import sys

# (path, method) pairs that src/publish sends. Keep in step with src/publish/github_api.rs.
OPERATIONS = [
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "post"),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}", "patch"),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}", "delete"),
    ("/repos/{owner}/{repo}/check-runs", "post"),
    ("/repos/{owner}/{repo}/check-runs/{check_run_id}", "patch"),
    ("/repos/{owner}/{repo}/statuses/{sha}", "post"),
    ("/repos/{owner}/{repo}/pulls/{pull_number}", "get"),
]


def refs_in(node, found):
    """Collects every "#/components/..." reference inside node."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            refs_in(value, found)
    elif isinstance(node, list):
        for value in node:
            refs_in(value, found)


def resolve(spec, ref):
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def main(full_path, trimmed_path):
    with open(full_path, encoding="utf-8") as f:
        spec = json.load(f)

    paths = {}
    for path, method in OPERATIONS:
        item = spec["paths"].get(path)
        if item is None or method not in item:
            sys.exit(f"trim-github-openapi: {method.upper()} {path} is not in {full_path}")
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k == "parameters"})
        kept[method] = item[method]

    # Follow references to a fixed point: components refer to other components.
    pending, seen = set(), set()
    refs_in(paths, pending)
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        refs_in(resolve(spec, ref), pending)

    components = {}
    for ref in sorted(seen):
        _, _, section, name = ref.split("/", 3)
        components.setdefault(section, {})[name] = spec["components"][section][name]
    # Security schemes are named, not referenced.
    if "securitySchemes" in spec.get("components", {}):
        components["securitySchemes"] = spec["components"]["securitySchemes"]

    trimmed = {k: v for k, v in spec.items() if k not in ("paths", "components", "webhooks", "x-webhooks")}
    trimmed["paths"] = paths
    trimmed["components"] = components
    with open(trimmed_path, "w", encoding="utf-8") as f:
        json.dump(trimmed, f)
    print(
        f"trim-github-openapi: {len(OPERATIONS)} operations, {len(seen)} components -> {trimmed_path}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
