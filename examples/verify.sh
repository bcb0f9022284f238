#!/usr/bin/env bash
# Checking a hand-derived gradient. For f = x**3 * y + sin(y) a student writes
# df/dx = 3*x**2*y (right) and df/dy = x**3 + sin(y) (wrong: d/dy sin(y) is cos(y)).
# diffcli names the wrong component, gives the right value and sympy's formula,
# and exits 1, so a script or a CI job can stop on it.
set -u
diffcli=${DIFFCLI:-diffcli}

$diffcli check "x**3 * y + sin(y)" \
  --grad x="3*x**2*y" \
  --grad y="x**3 + sin(y)" \
  --at x=1.5 --at y=0.5
status=$?
if [ "$status" -eq 1 ]; then
  echo "verify.sh: the hand-derived gradient is wrong (exit 1), as expected" >&2
fi
exit "$status"
