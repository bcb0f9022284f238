#!/usr/bin/env bash
# Mutation testing of the verifier, on demand and never in CI: mutmut 2 plants one small
# bug at a time in each module below and runs the tests that should catch it; a mutant
# that survives is a bug the suite would let through (or an equivalent program, listed in
# tests/mutation_equivalents.md). Hours on two cores: name modules to run fewer, e.g.
#   tools/mutation.sh diffcli/verify/judging.py diffcli/expr/symbolic.py
# Needs the extra: pip install -e '.[test,mutation]'. Results stay in .mutmut-cache;
# `mutmut show ID` prints one mutant's diff.
set -uo pipefail
cd "$(dirname "$0")/.."
export DIFFCLI_MUTATION=1  # tests/conftest.py: few, fixed hypothesis examples per run

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    modules=(diffcli/verify/*.py diffcli/expr/symbolic.py diffcli/autograd/gradcheck.py)
fi

for module in "${modules[@]}"; do
    case "$module" in
        */__init__.py) continue ;;
        # gradcheck's own tests live with the engine's.
        diffcli/autograd/gradcheck.py) tests="tests/verify tests/autograd/test_ops_gradcheck.py" ;;
        *) tests="${MUTATION_TESTS:-tests/verify tests/expr tests/cli}" ;;
    esac
    mutmut run --paths-to-mutate "$module" --no-progress --simple-output \
        --runner "python -m pytest -x -q -p no:cacheprovider $tests"
done

# The score per module: killed (or timed out) / all mutants tried.
python - "${modules[@]}" <<'PY'
import sqlite3
import sys

db = sqlite3.connect(".mutmut-cache")
rows = db.execute(
    "SELECT sf.filename, m.status, count(*) FROM Mutant m JOIN Line l ON m.line = l.id"
    " JOIN SourceFile sf ON l.sourcefile = sf.id GROUP BY sf.filename, m.status").fetchall()
scores: dict[str, dict[str, int]] = {}
for filename, status, count in rows:
    scores.setdefault(filename, {})[status] = count
for filename, counts in sorted(scores.items()):
    tried = sum(n for s, n in counts.items() if s != "untested")
    killed = sum(counts.get(s, 0) for s in ("ok_killed", "ok_suspicious", "bad_timeout"))
    if tried:
        print(f"{filename}: {killed}/{tried} killed ({100 * killed / tried:.0f}%), "
              f"{counts.get('bad_survived', 0)} survived")
PY
mutmut results
