"""Typed access to YAML mapping nodes that records problems instead of raising.

A script is checked in one pass that collects every problem with its line, so `coach validate`
can report them all at once. Each getter returns None when the value is missing or wrong.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Iterable

import yaml

from coach.errors import Problem
from coach.yamlsafe import line_of, scalar_value

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_TEXT_CHARS = 400
MAX_PROBLEMS = 100   # per file: past these, a script of 5,000 wrong lines is not read to its end


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass
class Report:
    """Where problems go while a file is read."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.path, line, message))
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(Problem(self.path, line, f"more problems from here on; fix the first {MAX_PROBLEMS} "
                                                          f"and validate again"))

    @property
    def full(self) -> bool:
        return len(self.problems) > MAX_PROBLEMS


class Fields:
    """One YAML mapping, its allowed keys, and typed getters."""

    def __init__(self, node: yaml.Node, report: Report, allowed: Iterable[str], what: str):
        self.report = report
        self.what = what
        self.line = line_of(node)
        self.nodes: dict[str, yaml.Node] = {}
        self.key_lines: dict[str, int] = {}
        allowed = tuple(allowed)
        if not isinstance(node, yaml.MappingNode):
            report.add(self.line, f"{what} must be a mapping of 'key: value' lines, not {_kind(node)}")
            return
        for key_node, value_node in node.value:
            if report.full:
                break
            key = scalar_value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            kline = line_of(key_node)
            if not isinstance(key, str):
                report.add(kline, f"keys in {what} must be words, not {_kind(key_node)}")
                continue
            if key in self.nodes:
                report.add(kline, f"'{key}' appears twice in {what} (first on line {self.key_lines[key]}); keep one")
                continue
            if key not in allowed:
                report.add(kline, f"unknown key '{key}' in {what}{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}")
                continue
            self.nodes[key] = value_node
            self.key_lines[key] = kline

    def has(self, key: str) -> bool:
        return key in self.nodes

    def line_for(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def _missing(self, key: str, example: str) -> None:
        self.report.add(self.line, f"{self.what} needs '{key}', e.g. {key}: {example}")

    def raw(self, key: str) -> yaml.Node | None:
        return self.nodes.get(key)

    def _present(self, key: str, required: bool, example: str) -> yaml.Node | None:
        """The key's node; a missing key is reported when required."""
        node = self.nodes.get(key)
        if node is None and required:
            self._missing(key, example)
        return node

    def text(self, key: str, required: bool = False, example: str = "...") -> str | None:
        node = self._present(key, required, example)
        if node is None:
            return None
        value = _scalar(node)
        if not isinstance(value, str):
            self.report.add(line_of(node), f"'{key}' must be text, not {_kind(node)}; e.g. {key}: {example}")
            return None
        value = " ".join(value.split())
        if not value:
            self.report.add(line_of(node), f"'{key}' is empty; write the text, e.g. {key}: {example}")
            return None
        if len(value) > MAX_TEXT_CHARS:
            self.report.add(line_of(node), f"'{key}' is {len(value)} characters; keep it under {MAX_TEXT_CHARS}, split it into steps")
            return None
        return value

    def number(self, key: str, low: float, high: float, unit: str, required: bool = False,
               integer: bool = True, example: str = "30") -> float | int | None:
        node = self._present(key, required, example)
        if node is None:
            return None
        value = _scalar(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            kind = "a whole number" if integer else "a number"
            hint = " (write the number alone, without a unit)" if isinstance(value, str) else ""
            of_unit = f" of {unit}" if unit else ""
            self.report.add(line_of(node), f"'{key}' must be {kind}{of_unit}{hint}, e.g. {key}: {example}")
            return None
        if not low <= value <= high:
            self.report.add(line_of(node), f"'{key}' is {value}; it must be between {_fmt(low)} and {_fmt(high)} {unit}")
            return None
        return value

    def count(self, key: str, low: int, high: int, unit: str, required: bool = False,
              example: str = "30") -> int | None:
        """A whole number in [low, high] (see number)."""
        value = self.number(key, low, high, unit, required=required, integer=True, example=example)
        return None if value is None else int(value)

    def boolean(self, key: str, default: bool) -> bool:
        node = self.nodes.get(key)
        value = default if node is None else _scalar(node)
        if not isinstance(value, bool):
            self.report.add(line_of(node) if node is not None else self.line, f"'{key}' must be true or false")
            return default
        return value

    def choice(self, key: str, choices: Iterable[str], required: bool = False) -> str | None:
        choices = tuple(choices)
        value = self.text(key, required=required, example=choices[0])
        if value is None:
            return None
        if value not in choices:
            self.report.add(self.line_for(key) if key in self.key_lines else self.line,
                            f"'{key}' is '{value}'{did_you_mean(value, choices)}; choose one of: {', '.join(choices)}")
            return None
        return value

    def word_list(self, key: str, choices: Iterable[str], required: bool = False,
                  allow_empty: bool = False) -> tuple[str, ...] | None:
        choices = tuple(choices)
        node = self._present(key, required, f"[{choices[0]}]")
        if node is None:
            return None
        items = node.value if isinstance(node, yaml.SequenceNode) else [node] if isinstance(node, yaml.ScalarNode) else None
        if items is None:
            self.report.add(line_of(node), f"'{key}' must be a list, e.g. {key}: [{choices[0]}]")
            return None
        out: list[str] = []
        for item in items:
            value = scalar_value(item) if isinstance(item, yaml.ScalarNode) else None
            if not isinstance(value, str) or value not in choices:
                shown = value if isinstance(value, str) else _kind(item)
                hint = did_you_mean(shown, choices) if isinstance(value, str) else ""
                self.report.add(line_of(item), f"'{shown}' is not a known {key} value{hint}; choose from: {', '.join(choices)}")
                continue
            if value not in out:
                out.append(value)
        if not out and not allow_empty and not [p for p in self.report.problems if p.line >= line_of(node)]:
            self.report.add(line_of(node), f"'{key}' is empty; list at least one, e.g. {key}: [{choices[0]}]")
            return None
        return tuple(out)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = _scalar(node)
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"'{value}'"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _scalar(node: yaml.Node) -> object:
    """A plain value (str, int, float, bool, None), or None for a list or mapping."""
    return scalar_value(node) if isinstance(node, yaml.ScalarNode) else None
