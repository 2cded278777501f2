"""Fuzzing: the built-in scripts, mutated the ways people and tools break YAML (numbers huge, negative
or text; a step copied 200 times; repeats nested inside repeats; keys deleted; one step kind for
another; names of 300 characters; unicode; a value of the wrong shape; the file cut short), then
`validate` and `show` in-process. Every case ends in exit 0 or 2, never a traceback, and within a
second of CPU: the bounds refuse what is too big from its structure, before any work.
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.cli import cli
from coach.fields import SLUG
from coach.library import builtin_dir
from coach.model import STEP_KINDS

SCRIPTS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(builtin_dir().glob("*.yaml"))}
CPU_LIMIT_S = 1.0

ODD_VALUES = [10**9, 2**70, -5, 0, 0.001, 1e308, float("nan"), float("inf"), "30s", "", None, True,
              "a" * 300, "x-" * 150, "étirement du dos 😀", "\u202eeviL", "e\u0301" * 300, "日本語のストレッチ",
              [], {}, [1, 2], {"say": "Hello."}]


def places(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) in the document: where a mutation can land."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        out.append((node, key))
        places(value, out)
    return out


def nest(steps: Any, levels: int, times: int) -> Any:
    for _ in range(levels):
        steps = [{"repeat": {"times": times, "steps": steps}}]
    return steps


# Each mutation, with the places it fits: the shapes that broke coach are drawn often, not by luck.
FITS = {
    "value": lambda c, k: not isinstance(c[k], (list, dict)),
    "copies": lambda c, k: isinstance(c, list),
    "nest": lambda c, k: k == "steps" and isinstance(c[k], list),
    "delete": lambda c, k: isinstance(c, dict),
    "kind": lambda c, k: isinstance(c[k], dict) and bool(set(c[k]) & set(STEP_KINDS)),
    "name": lambda c, k: k in ("name", "exercise") or (isinstance(c, list) and isinstance(c[k], str)),
    "wrap": lambda c, k: True,
}


@st.composite
def mutations(draw, doc: Any) -> None:
    op = draw(st.sampled_from(sorted(FITS)))
    spots = [(c, k) for c, k in places(doc, []) if FITS[op](c, k)]
    if not spots:
        return
    container, key = draw(st.sampled_from(spots))
    value = container[key]
    if op == "value":
        container[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    elif op == "copies":
        container[key:key + 1] = [copy.deepcopy(value) for _ in range(draw(st.sampled_from([2, 50, 200])))]
    elif op == "nest":
        container[key] = nest(value, draw(st.integers(1, 5)), draw(st.sampled_from([2, 10, 50])))
    elif op == "delete":
        del container[key]
    elif op == "kind":
        first = next(k for k in value if k in STEP_KINDS)
        value[draw(st.sampled_from(STEP_KINDS))] = value.pop(first)
    elif op == "name":
        container[key] = draw(st.sampled_from(["a" * 300, "b" * 64, "C" * 10, "../../etc/passwd", "child-pose", "tëst"]))
    else:
        container[key] = [value] if draw(st.booleans()) else {"value": value}


@st.composite
def mutated_scripts(draw) -> tuple[str, str]:
    """(file name, YAML text) of a built-in script after a few mutations."""
    name = draw(st.sampled_from(sorted(SCRIPTS)))
    doc = copy.deepcopy(SCRIPTS[name])
    for _ in range(draw(st.integers(1, 4))):
        draw(mutations(doc))
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    if draw(st.integers(0, 9)) == 0:   # cut short: a syntax error, or a script missing its end
        text = text[:draw(st.integers(0, len(text)))]
    stated = doc.get("name") if isinstance(doc, dict) else None
    file_name = stated if isinstance(stated, str) and SLUG.match(stated) and len(stated) <= 64 else name
    return file_name, text


def check(args: list[str]) -> None:
    start = time.process_time()
    result = CliRunner().invoke(cli, args)
    cpu_s = time.process_time() - start
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert cpu_s < CPU_LIMIT_S, f"{cpu_s:.2f} s of CPU for {args[0]}"


# No wall-clock deadline (a loaded machine would make it flaky): the bound is CPU time, in check().
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_scripts())
def test_mutated_scripts_are_refused_or_shown_quickly_without_a_traceback(case):
    file_name, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{file_name}.yaml"
        path.write_text(text, encoding="utf-8")
        check(["validate", str(path)])
        check(["show", str(path)])
