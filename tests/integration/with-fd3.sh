#!/bin/sh
# Usage: with-fd3.sh PATH COMMAND...: opens PATH for writing on fd 3 and
# executes COMMAND, so that only COMMAND has the descriptor open.
exec 3>"$1"
shift
exec "$@"
