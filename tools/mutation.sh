#!/usr/bin/env bash
# Mutation testing of the verifier, on demand and never in CI: mutmut 2 plants one small
# bug at a time in each module below and runs the tests that should catch it; a mutant
# that survives is a bug the suite would let through (or an equivalent program, listed in
# tests/mutation_equivalents.md). Hours on two cores: name modules to run fewer, e.g.
#   tools/mutation.sh diffcli/verify/judging.py diffcli/expr/symbolic.py
# Needs the extra: pip install -e '.[test,mutation]'. Results stay in .mutmut-cache;
# `mutmut show ID` prints one mutant's diff, but only once the run is over: it re-reads
# the module into the cache, and mid-run that is a mutant (the run then stops on
# "Mutant.line is required" and hangs).
set -uo pipefail
cd "$(dirname "$0")/.."
export DIFFCLI_MUTATION=1  # tests/conftest.py: few, fixed hypothesis examples per run

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    modules=(diffcli/verify/*.py diffcli/expr/symbolic.py diffcli/autograd/gradcheck.py)
fi

# A fork server (tools/test_server.py) imports numpy, sympy and pytest once and forks one
# pytest per mutant: about 5 s per mutant where a fresh interpreter took 30.
socket_path="$(mktemp -u /tmp/diffcli-mutation.XXXXXX)"
nice -n 19 python tools/test_server.py serve "$socket_path" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$socket_path"' EXIT

# Each module runs the tests that exercise it, nearest and quickest first (-x stops at
# the first failure): seconds per mutant rather than the whole suite's minutes.
v=tests/verify
for module in "${modules[@]}"; do
    case "$module" in
        */__init__.py) continue ;;
        diffcli/autograd/gradcheck.py) tests="tests/autograd/test_gradcheck_truth.py
            tests/autograd/test_ops_gradcheck.py tests/autograd/test_engine_semantics.py
            $v/test_function_check.py tests/cli/test_gradcheck.py" ;;
        diffcli/expr/symbolic.py) tests="tests/expr/test_symbolic.py $v/test_witnesses_truth.py
            $v/test_proof.py tests/expr/test_functions.py $v/test_matrix_witness.py
            $v/test_sympy_worker.py::test_sympys_first_add_does_not_load_tensors_yet_tensors_still_work" ;;
        diffcli/verify/claims.py) tests="$v/test_claims_truth.py $v/test_claims.py
            $v/test_proof.py $v/test_witnesses_truth.py $v/test_mistakes.py" ;;
        diffcli/verify/proof.py) tests="$v/test_proof_truth.py $v/test_proof.py $v/test_claims.py" ;;
        diffcli/verify/checks.py) tests="$v/test_checks_truth.py $v/test_vector_checks.py
            $v/test_matrix_witness.py $v/test_checks.py $v/test_judging.py
            $v/test_witnesses_truth.py" ;;
        diffcli/verify/function_check.py) tests="$v/test_function_check.py
            tests/autograd/test_gradcheck_truth.py tests/cli/test_gradcheck.py" ;;
        diffcli/verify/formulas.py) tests="$v/test_formulas_truth.py $v/test_formulas.py
            tests/cli/test_taylor.py" ;;
        diffcli/verify/autograd_witness.py) tests="$v/test_autograd_witness.py
            $v/test_witnesses_truth.py $v/test_batch_check.py $v/test_checks.py
            $v/test_vector_checks.py $v/test_matrix_witness.py tests/cli/test_grad.py" ;;
        diffcli/verify/differences.py) tests="$v/test_witnesses_truth.py $v/test_checks_truth.py
            $v/test_checks.py $v/test_vector_checks.py $v/test_matrix_witness.py
            $v/test_batch_check.py" ;;
        diffcli/verify/judging.py) tests="$v/test_judging.py $v/test_checks_truth.py
            $v/test_checks.py $v/test_vector_checks.py $v/test_batch_check.py
            $v/test_witnesses_truth.py tests/cli/test_check_verdicts.py" ;;
        diffcli/verify/mistakes.py) tests="$v/test_mistakes.py $v/test_claims.py" ;;
        diffcli/verify/batch_checks.py) tests="$v/test_batch_check.py $v/test_checks.py" ;;
        diffcli/verify/sympy_witness.py) tests="$v/test_sympy_witness_truth.py
            $v/test_matrix_witness.py $v/test_batch_check.py $v/test_checks.py
            $v/test_witnesses_truth.py" ;;
        diffcli/verify/budget.py) tests="$v/test_sympy_worker.py $v/test_sympy_witness_truth.py
            $v/test_checks.py" ;;
        diffcli/verify/common.py) tests="$v/test_common_truth.py $v/test_witnesses_truth.py
            $v/test_checks_truth.py $v/test_judging.py" ;;
        *) tests="${MUTATION_TESTS:-$v}" ;;
    esac
    # mutmut 2 counts only exit status 1 as a kill; pytest's 2 (a mutant that no longer
    # imports) is one too, and so is a mutant that hangs past 5 minutes (mutmut's own
    # timeout, ten times a slow baseline, let one run for 7 CPU-minutes). The time base
    # keeps a slow run on a busy machine from counting.
    nice -n 19 mutmut run --paths-to-mutate "$module" --no-progress --simple-output \
        --test-time-base 20 \
        --runner "sh -c 'timeout 300 python tools/test_server.py run $socket_path -- -x -q -p no:cacheprovider $(echo $tests) || exit 1'"
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
