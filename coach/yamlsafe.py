"""Reads a YAML script into a node tree with line numbers, refusing anything dangerous first.

Checks run before any object is built: size, binary content and encoding on the bytes; flow nesting
(`[[[[...`) on the text, because YAML's scanner reads a whole flow collection ahead before it emits an
event (and PyYAML 6.0.4 refuses 1000 levels itself, in its own words); then, on the event stream,
block nesting, anchors/aliases (alias bombs) and explicit tags (`!!python/object`). Only then is the
file composed into nodes; values are built from scalar nodes by the safe constructor, never by tag.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import yaml

from coach.errors import Problem, ScriptError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 20
MAX_VALUES = 10_000   # keys, values, lists and mappings; the largest built-in script has 142

# libyaml is in PyYAML's wheels and much faster; the pure-Python loader behaves the same.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_scalars = yaml.constructor.SafeConstructor()


def read_text(path: Path, shown: str) -> str:
    """The file's text, or a ScriptError saying why it cannot be a script."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScriptError([Problem(shown, 0, "no such file; check the path")]) from None
    except IsADirectoryError:
        raise ScriptError([Problem(shown, 0, "is a folder, not a script; name a .yaml file")]) from None
    except OSError as exc:
        fix = "use a shorter name" if exc.errno == errno.ENAMETOOLONG else "check its permissions"
        raise ScriptError([Problem(shown, 0, f"cannot be read ({exc.strerror}); {fix}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScriptError([Problem(shown, 0, f"is {len(data)} bytes; a script is at most 1 MiB, split it up")])
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ScriptError([Problem(shown, line, "binary data, not a text file; a script is UTF-8 YAML text")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScriptError(
            [Problem(shown, line, f"invalid UTF-8 at byte {exc.start}; save the file as UTF-8")]
        ) from None
    return text.removeprefix("\ufeff")


def compose(text: str, shown: str) -> yaml.Node:
    """The document's root node; ScriptError for syntax errors and refused constructs."""
    _check_events(text, shown)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:  # _check_events parsed the same text, so this is unexpected
        raise ScriptError([_syntax_problem(exc, shown)]) from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.value == "" ):
        raise ScriptError([Problem(shown, 0, "the file is empty; a script starts with 'format: 1'")])
    return root


# What can open or close a flow collection, or hide brackets from it (quotes, comments).
_FLOW_MARKS = re.compile(r"""[\[\]{}'"#\n]""")
# A bracket or quote outside a flow collection starts a value only after one of these (or a line start);
# elsewhere it is part of plain text, as in "say: Reach up [slowly]".
_VALUE_START = frozenset("\n:-?")
_FLOW_VALUE_START = frozenset("\n[{,:?")


def _check_flow_depth(text: str, shown: str) -> None:
    """Flow nesting deeper than MAX_DEPTH, found by a light scan of the text, stopping at once."""
    depth, line, i = 0, 1, 0
    while (found := _FLOW_MARKS.search(text, i)) is not None:
        j, ch = found.start(), found.group()
        i = j + 1
        if ch == "\n":
            line += 1
            continue
        if ch == "#":
            if j == 0 or text[j - 1] in " \t\n":   # a comment: skip the rest of the line
                end = text.find("\n", j)
                i = len(text) if end < 0 else end
            continue
        k = j - 1
        while k >= 0 and text[k] in " \t":
            k -= 1
        before = text[k] if k >= 0 else "\n"
        if ch in "'\"":
            if before in (_FLOW_VALUE_START if depth else _VALUE_START):
                end = _quote_end(text, j)
                line += text.count("\n", j, end)
                i = end + 1
        elif ch in "[{":
            if depth or before in _VALUE_START:
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScriptError([_too_deep(shown, line)])
        elif depth:
            depth -= 1


def _quote_end(text: str, start: int) -> int:
    """Where the quoted scalar opened at `start` closes (the text's end when it never does)."""
    quote, i = text[start], start + 1
    while True:
        j = text.find(quote, i)
        if j < 0:
            return len(text)
        if quote == "'" and text.startswith("''", j):   # '' is a quote inside single quotes
            i = j + 2
            continue
        k = j
        while quote == '"' and k > i and text[k - 1] == "\\":
            k -= 1
        if (j - k) % 2:   # an escaped quote inside double quotes
            i = j + 1
            continue
        return j


def _too_deep(shown: str, line: int) -> Problem:
    return Problem(shown, line, f"nested more than {MAX_DEPTH} levels deep; flatten the script")


def _check_events(text: str, shown: str) -> None:
    _check_flow_depth(text, shown)
    depth = 0
    documents = 0
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_Loader)):
            if count > MAX_VALUES:
                line = event.start_mark.line + 1 if event.start_mark is not None else 0
                raise ScriptError([Problem(shown, line, f"over {MAX_VALUES} YAML values by this line; a script is "
                                                        f"far smaller, split it into several")])
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ScriptError([Problem(shown, line, "more than one YAML document (---); keep one script per file")])
            elif isinstance(event, yaml.AliasEvent):
                raise ScriptError([Problem(shown, line, "YAML aliases (*name) are not supported; write the value out in full")])
            elif isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if event.anchor is not None:
                    raise ScriptError([Problem(shown, line, f"YAML anchors (&{event.anchor}) are not supported; write the value out in full")])
                if event.tag is not None and event.tag != "!":
                    # An explicit tag could ask for object construction; plain values need none.
                    raise ScriptError([Problem(shown, line, f"YAML tag {event.tag} is not allowed; remove it and write a plain value")])
                if not isinstance(event, yaml.ScalarEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise ScriptError([_too_deep(shown, line)])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        raise ScriptError([_syntax_problem(exc, shown)]) from None


def _syntax_problem(exc: yaml.YAMLError, shown: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(shown, line, f"YAML syntax error: {problem}; check the indentation and quoting")


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def scalar_value(node: yaml.ScalarNode) -> object:
    """A plain scalar's Python value (str, int, float, bool or None), by YAML's implicit rules."""
    return _scalars.construct_object(node)
