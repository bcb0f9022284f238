"""--points from Parquet and Arrow IPC, and --output to NDJSON, CSV and Parquet."""

import csv
import io
import json

import pytest

from .helpers import run_process

pa = pytest.importorskip("pyarrow")
parquet = pytest.importorskip("pyarrow.parquet")
ipc = pytest.importorskip("pyarrow.ipc")

EXPR = "x**3 + y**2"
POINTS = {"x": [1.0, 2.0, 0.5], "y": [2.0, -3.0, 4.0]}


def hand_gradient(x: float, y: float) -> tuple[float, float]:
    return 3 * x**2, 2 * y


def write_parquet(path, columns) -> str:
    parquet.write_table(pa.table(columns), path)
    return str(path)


def test_parquet_points_give_the_hand_derived_gradients(cli, tmp_path):
    source = write_parquet(tmp_path / "p.parquet", POINTS)
    run = cli("grad", EXPR, "--points", source, "--json")
    assert run.code == 0, run.stderr
    docs = run.ndjson()
    assert [d["line"] for d in docs] == [1, 2, 3]
    for doc, x, y in zip(docs, POINTS["x"], POINTS["y"]):
        assert doc["at"] == {"x": x, "y": y}
        assert tuple(doc["gradient"].values()) == hand_gradient(x, y)


@pytest.mark.parametrize("writer", ["new_file", "new_stream"])
def test_arrow_ipc_file_and_stream_read_like_parquet(cli, tmp_path, writer):
    table = pa.table(POINTS)
    path = tmp_path / "p.arrow"
    with getattr(ipc, writer)(path, table.schema) as out:
        out.write_table(table)
    from_arrow = cli("grad", EXPR, "--points", str(path), "--json")
    from_ndjson = cli("grad", EXPR, "--points", "-", "--json", input="".join(
        json.dumps({"x": x, "y": y}) + "\n" for x, y in zip(POINTS["x"], POINTS["y"])))
    assert from_arrow.code == 0, from_arrow.stderr
    assert from_arrow.ndjson() == from_ndjson.ndjson()


def test_a_null_is_a_bad_row_named_by_number_and_the_others_still_answered(cli, tmp_path):
    source = write_parquet(tmp_path / "p.parquet", {"x": [1.0, None, 3.0], "y": [1, 2, 3]})
    run = cli("grad", EXPR, "--points", source, "--json")
    assert run.code == 2
    assert "error: --points line 2: no value for 'x'" in run.stderr
    assert [d["line"] for d in run.ndjson()] == [1, 3]


def test_a_missing_or_non_numeric_column_is_an_error(cli, tmp_path):
    missing = cli("grad", EXPR, "--points", write_parquet(tmp_path / "a.parquet", {"x": [1.0]}))
    assert missing.code == 2
    assert "the Parquet file has no column 'y'" in missing.stderr
    text = cli("grad", EXPR, "--points",
               write_parquet(tmp_path / "b.parquet", {"x": [1.0], "y": ["two"]}))
    assert text.code == 2
    assert "column 'y' holds string, not numbers" in text.stderr


def test_csv_output_has_the_json_keys_flattened_and_the_right_numbers(cli, tmp_path):
    source = write_parquet(tmp_path / "p.parquet", POINTS)
    out = tmp_path / "r.csv"
    run = cli("grad", EXPR, "--points", source, "--output", str(out))
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["at.x", "at.y", "value", "gradient.x", "gradient.y", "line"]
    for row, x, y in zip(rows, POINTS["x"], POINTS["y"]):
        assert (float(row["gradient.x"]), float(row["gradient.y"])) == hand_gradient(x, y)
        assert float(row["value"]) == x**3 + y**2


def test_parquet_output_of_a_derivative_batch_reads_back(cli, tmp_path):
    source = tmp_path / "p.ndjson"
    source.write_text('{"x": 1, "y": 2}\n{"x": 3, "y": 0.5}\n')
    out = tmp_path / "r.parquet"
    run = cli("derivative", "x**3 * y", "--wrt", "x", "--order", "2", "--points", str(source),
              "-o", str(out))
    assert run.code == 0, run.stderr
    table = parquet.read_table(out).to_pydict()
    assert list(table) == ["at.x", "at.y", "value", "derivative", "line"]
    assert table["derivative"] == [6 * 1 * 2, 6 * 3 * 0.5]  # d²/dx² x³y = 6xy
    assert table["line"] == [1, 2]


def test_ndjson_output_is_exactly_what_json_prints(cli, tmp_path):
    source = write_parquet(tmp_path / "p.parquet", POINTS)
    out = tmp_path / "r.ndjson"
    assert cli("grad", EXPR, "--points", source, "-o", str(out)).code == 0
    assert out.read_text() == cli("grad", EXPR, "--points", source, "--json").stdout


def test_checked_and_vector_batches_flatten_too(cli, tmp_path):
    out = tmp_path / "r.csv"
    run = cli("grad", "sum(x**2)", "--points", "-", "--check", "-o", str(out),
              input='{"x": [1, 2]}\n{"x": [3, -1]}\n')
    assert run.code == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert json.loads(rows[1]["gradient.x"]) == [6.0, -2.0]  # 2x
    assert [row["check.agree"] for row in rows] == ["true", "true"]


def test_non_finite_results_are_kept_with_a_warning_and_fail_under_strict(cli, tmp_path):
    out = tmp_path / "r.csv"
    args = ("grad", "log(x)", "--points", "-", "-o", str(out))
    run = cli(*args, input="x\n1\n0\n")
    assert run.code == 0
    assert "warning: 2 results are not finite" in run.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["value"], r["gradient.x"]) for r in rows] == [("0.0", "1.0"), ("-inf", "inf")]
    assert cli(*args, "--strict", input="x\n1\n0\n").code == 1


def test_a_failed_batch_leaves_the_old_output_and_no_temporary(cli, tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("old\n")
    run = cli("grad", "x**2", "--points", "-", "--strict", "-o", str(out), input="x\n1\nbad\n")
    assert run.code == 2
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


@pytest.mark.parametrize("args, message", [
    (["--at", "x=1", "-o", "r.csv"], "--output writes the results of a --points batch"),
    (["--points", "-", "-o", "r.xlsx"], "the name must end in one of .parquet, .csv, .ndjson"),
])
def test_output_misuse_exits_2(cli, args, message):
    run = cli("grad", "x**2", *args, input="x\n1\n")
    assert run.code == 2
    assert message in run.stderr


def test_without_the_parquet_extra_the_error_names_it(tmp_path):
    source = write_parquet(tmp_path / "p.parquet", POINTS)
    fake = tmp_path / "fake" / "pyarrow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("No module named pyarrow")\n')
    run = run_process("grad", EXPR, "--points", source, env={"PYTHONPATH": str(fake.parent)})
    assert run.code == 2
    assert run.stderr == ("error: reading Parquet points needs the parquet extra: "
                          "pip install 'diffcli[parquet]'\n")
