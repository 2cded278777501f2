"""The order of a planned session: roles in order (gentle mobility, then the strongest work, a rest
last), and within that the fewest changes of position. Exact, by a small dynamic programme.

Within one role, an order can do no better than one block per position (k positions: k - 1 changes),
and blocks give that whatever positions come first and last; so only the first and last position of
each role's run matter, and a DP over the roles with the last position as its state finds the best.
tests/test_plan.py checks it against every permutation of small sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from coach.exercise_index import ROLES


class Placed(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def position(self) -> str: ...


P = TypeVar("P", bound=Placed)


def position_changes(items: Sequence[Placed]) -> int:
    return sum(a.position != b.position for a, b in zip(items, items[1:]))


def roles_in_order(items: Sequence[Placed]) -> bool:
    ranks = [ROLES.index(i.role) for i in items]
    return ranks == sorted(ranks)


def best_order(items: Sequence[P]) -> list[P]:
    """The items with roles in ROLES order and the fewest position changes; ties keep the given order
    as far as they can (the first position met first), so the result is deterministic."""
    groups = [[i for i in items if i.role == role] for role in ROLES]
    groups = [g for g in groups if g]
    if not groups:
        return []
    # Each group's choices: (first position, last position) -> changes inside the group.
    choices = [_ends(g) for g in groups]
    # best[pos] = (cost so far, chosen (first, last) per group) for a run ending in position `pos`.
    best: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {}
    for (first, last), inner in choices[0].items():
        _keep(best, last, inner, ((first, last),))
    for options in choices[1:]:
        nxt: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {}
        for prev_last, (cost, path) in best.items():
            for (first, last), inner in options.items():
                _keep(nxt, last, cost + inner + (prev_last != first), path + ((first, last),))
        best = nxt
    _, path = min(best.values(), key=lambda v: v[0])   # min keeps the first of equals: insertion order
    out: list[P] = []
    for group, (first, last) in zip(groups, path):
        out.extend(_arrange(group, first, last))
    return out


def _keep(table: dict, key: str, cost: int, path: tuple) -> None:
    if key not in table or cost < table[key][0]:
        table[key] = (cost, path)


def _positions(group: Sequence[Placed]) -> list[str]:
    return list(dict.fromkeys(i.position for i in group))


def _ends(group: Sequence[Placed]) -> dict[tuple[str, str], int]:
    positions = _positions(group)
    if len(positions) == 1:
        return {(positions[0], positions[0]): 0}
    return {(a, b): len(positions) - 1 for a in positions for b in positions if a != b}


def _arrange(group: Sequence[P], first: str, last: str) -> list[P]:
    positions = _positions(group)
    middle = [p for p in positions if p not in (first, last)]
    order = [first] + middle + ([last] if last != first else [])
    return [i for p in order for i in group if i.position == p]
