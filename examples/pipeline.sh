#!/usr/bin/env bash
# NDJSON points in, one gradient per line out: diffcli as a stage of a shell pipeline.
# The last line is deliberately bad: it is reported on stderr with its line number,
# the other points are still answered, and the exit status says something was wrong.
set -u
diffcli=${DIFFCLI:-diffcli}

points() {
  printf '%s\n' '{"x": 0.5, "y": 1}' '{"x": 1, "y": 2}' '{"x": 2, "y": -1}' '{"x": 1}'
}

# Keep only the gradient's x-component for each point, in input order.
pick_dx() {
  if command -v jq >/dev/null 2>&1; then
    jq -c '{line, dx: .gradient.x}'
  else
    python3 -c '
import json, sys
for row in sys.stdin:
    result = json.loads(row)
    print(json.dumps({"line": result["line"], "dx": result["gradient"]["x"]}, separators=(",", ":")))
'
  fi
}

points | $diffcli grad "sin(x)*exp(y) + x**3*y" --points - --json --no-check | pick_dx
status=${PIPESTATUS[1]}
echo "diffcli exit status: $status" >&2
exit "$status"
