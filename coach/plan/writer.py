"""A plan as an ordinary routine script: YAML that `coach validate` reads, a person can edit, and
coach.library resolves like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.plan.build import Chosen, Plan, PlanRequest

_AREA = {"upper-back": "upper back", "mid-back": "middle back", "lower-back": "lower back"}


def title_of(request: PlanRequest) -> str:
    area = _AREA.get(request.focus or "", request.focus or "the whole back").replace("-", " ")
    where = f" on the {request.place}" if request.place in ("floor", "bed") else (
        f" at the desk" if request.place == "desk" else " standing" if request.place == "standing" else "")
    return f"{request.minutes} minutes for {area}{where}"


def describe(request: PlanRequest, chosen: tuple[Chosen, ...]) -> str:
    titles = [c.exercise.title for c in chosen]
    listed = ", ".join(titles[:-1]) + (" and " if len(titles) > 1 else "") + (titles[-1] if titles else "")
    gentle = "gentle " if request.gentle else ""
    return f"A {gentle}routine planned by coach: {listed}." if titles else "A routine planned by coach."


def command_line(request: PlanRequest) -> str:
    parts = ["coach plan", f"--minutes {request.minutes}"]
    parts += [f"--for {request.focus}"] if request.focus else []
    parts += [f"--place {request.place}"] if request.place else []
    parts += [f"--equipment {e}" for e in request.equipment]
    parts += ["--gentle"] if request.gentle else []
    parts += [f"--seed {request.seed}"]
    return " ".join(parts)


def script_text(plan: Plan) -> str:
    request, script = plan.request, plan.script
    lines = [
        f"# Planned by: {command_line(request)}",
        f"# {plan.duration_ms / 60000:.1f} minutes by the compiled timeline; {plan.position_changes} change"
        f"{'' if plan.position_changes == 1 else 's'} of position.",
    ]
    lines += [f"# Left out: {name}: {why}" for name, why in plan.left_out]
    lines += ["# Edit freely: 'coach validate --strict' checks it.", "format: 1", "kind: routine",
              f"name: {script.name}", f"title: {_quoted(script.title)}", "description: >",
              f"  {script.description}", f"rest_s: {script.rest_ms // 1000}", "sequence:"]
    for entry in script.sequence:
        values = [(k, getattr(entry, k)) for k in ("hold_s", "breaths", "reps", "sets") if getattr(entry, k)]
        if not values:
            lines.append(f"  - {entry.name}")
            continue
        lines.append(f"  - exercise: {entry.name}")
        lines += [f"    {k}: {v}" for k, v in values]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
