"""The code in docs/quickstart.md and docs/zh/quickstart.md runs, and prints what it shows.

Each document's ```python blocks run in order in one namespace, in a temporary directory (a
block marked ```python no-run is shown but not run). Within a block, each top-level statement
runs on its own with stdout captured; when comment lines follow it directly (no blank line in
between), they are the output the document shows for it, and what the statement printed must
match them ("..." matches anything, as in doctest). Comment lines under a statement that
prints nothing (and is not a ``print`` call) are ordinary comments; a statement that prints with
no comment lines under it is not compared.
"""
import ast
import contextlib
import doctest
import io
import pathlib
import re
import tokenize

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "quickstart.md", ROOT / "docs" / "zh" / "quickstart.md"]

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def code_blocks(path):
    """[(line number of the block's first code line, info string, code)] of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start("body")) + 1
        blocks.append((line, m.group("info").strip(), m.group("body")))
    return blocks


def runnable(blocks):
    return [(line, code) for line, info, code in blocks if info == "python"]


def expected_outputs(code, tree):
    """{index of a top-level statement: the output shown in the comment lines right after it}."""
    lines = code.splitlines()
    shown = {}
    for i, stmt in enumerate(tree.body):
        out, j = [], stmt.end_lineno        # j: 0-based index of the line after the statement
        while j < len(lines) and lines[j].startswith("#"):
            out.append(lines[j][2:] if lines[j].startswith("# ") else lines[j][1:])
            j += 1
        if out:
            shown[i] = "\n".join(out) + "\n"
    return shown


def _is_print(stmt):
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print")


def run_block(code, namespace, where):
    tree = ast.parse(code)
    shown = expected_outputs(code, tree)
    checker = doctest.OutputChecker()
    for i, stmt in enumerate(tree.body):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(ast.Module([stmt], type_ignores=[]), where, "exec"), namespace)  # noqa: S102
        got = "\n".join(ln.rstrip() for ln in buf.getvalue().splitlines())
        got = got + "\n" if got else ""
        if i in shown and (got or _is_print(stmt)):
            want = "\n".join(ln.rstrip() for ln in shown[i].splitlines()) + "\n"
            assert checker.check_output(want, got, doctest.ELLIPSIS), (
                f"{where}, statement at block line {stmt.lineno}: the document shows\n{want}"
                f"but ember printed\n{got}")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_quickstart_code_runs_and_prints_what_it_shows(doc, tmp_path, monkeypatch):
    pytest.importorskip("sklearn")      # the CNN section loads scikit-learn's bundled digits
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__quickstart__"}
    blocks = runnable(code_blocks(doc))
    assert blocks, f"no ```python blocks in {doc}"
    for line, code in blocks:
        run_block(code, namespace, f"{doc.name}:{line}")


def _code_without_comments(code):
    toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL)]
    return tokenize.untokenize((t.type, t.string) for t in toks)


def test_chinese_quickstart_has_the_same_code():
    en, zh = (code_blocks(p) for p in DOCS)
    assert [info for _, info, _ in en] == [info for _, info, _ in zh]
    for (line_en, info, code_en), (line_zh, _, code_zh) in zip(en, zh):
        if info.startswith("python"):
            assert _code_without_comments(code_en) == _code_without_comments(code_zh), (
                f"quickstart.md:{line_en} and zh/quickstart.md:{line_zh} differ")
        else:
            assert code_en == code_zh, (line_en, line_zh)
