#!/bin/bash
# Integration tests: sandbox-init runs as PID 1 of a new PID and mount
# namespace (unshare --pid --fork --mount), with the real /usr and /etc bound
# read-only as fake host directories. Needs root; exits 77 to be skipped
# unless SANDBOX_TEST_REQUIRE=1.
set -u

here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/integration/sandbox.sh
. "$here/sandbox.sh"
# shellcheck source=tests/integration/pid1.sh
. "$here/pid1.sh"
# shellcheck source=tests/integration/changes.sh
. "$here/changes.sh"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
