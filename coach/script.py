"""Exercise and routine scripts -> frozen model objects. Every problem names file:line and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from coach import model as m
from coach.errors import ScriptError
from coach.fields import SLUG, Fields, Report, did_you_mean
from coach.timeline.bounds import exercise_problems
from coach.vocab import CONDITIONS, EQUIPMENT, FOCUS_AREAS, POSITIONS, SIDES, VERBOSITIES
from coach.yamlsafe import compose, line_of, read_text

FORMAT_VERSION = 1
MAX_HOLD_S = 300
MAX_BREATHS = 60
MAX_REPS = 50
MAX_SETUP_S = 60
MAX_REST_S = 300
MAX_COUNTDOWN = 10
MAX_SETS = 10
MOVE_S = (0.5, 30)     # a movement's time after its instruction
MAX_SETTLE_S = 15
PHASE_S = (1, 15)
MAX_HOLD_CUES = 20
MAX_NAME_CHARS = 64     # a name is also a file name: it must stay far below the system's 255 bytes
BREATH_LEADS = {"in": "inhale", "out": "exhale"}

EXERCISE_KEYS = ("format", "kind", "name", "title", "description", "focus", "equipment", "position",
                 "setup", "setup_s", "contraindications", "breath", "safety", "sets", "set_rest_s", "steps")
ROUTINE_KEYS = ("format", "kind", "name", "title", "description", "rest_s", "sequence")

Script = m.Exercise | m.RoutineScript


def load_script(path: Path, shown: str | None = None) -> Script:
    """Parse one script file. Raises ScriptError listing every problem in it."""
    shown = shown or str(path)
    root = compose(read_text(path, shown), shown)
    report = Report(shown)
    script = _read_script(root, report, expected_name=path.stem)
    if report.problems or script is None:
        raise ScriptError(report.problems or [])
    return script


def _read_script(root: yaml.Node, report: Report, expected_name: str) -> Script | None:
    if not isinstance(root, yaml.MappingNode):
        report.add(line_of(root), "a script is a mapping of 'key: value' lines starting with 'format: 1'")
        return None
    top = Fields(root, report, EXERCISE_KEYS + tuple(k for k in ROUTINE_KEYS if k not in EXERCISE_KEYS), "the script")
    fmt = top.count("format", 1, 10**6, "", required=True, example="1")
    if fmt is not None and fmt != FORMAT_VERSION:
        report.add(top.line_for("format"), f"format {fmt} is not supported; this coach reads 'format: {FORMAT_VERSION}'")
        return None
    kind = top.choice("kind", ("exercise", "routine"), required=True)
    if kind is None:
        return None
    allowed = EXERCISE_KEYS if kind == "exercise" else ROUTINE_KEYS
    for key in top.nodes:
        if key not in allowed:
            report.add(top.line_for(key), f"'{key}' does not belong in a {kind}{did_you_mean(key, allowed)}")
    name = top.text("name", required=True, example=expected_name)
    if name is not None:
        why = name_problem(name)
        if why:
            report.add(top.line_for("name"), why)
        elif name != expected_name:
            report.add(top.line_for("name"), f"name '{name}' differs from the file name; rename the file to {name}.yaml or set name: {expected_name}")
    title = top.text("title", required=True, example="Child's pose")
    description = top.text("description", required=True, example="A resting stretch for the lower back.")
    if kind == "exercise":
        return _read_exercise(top, report, name, title, description)
    return _read_routine(top, report, name, title, description)


def _read_exercise(top: Fields, report: Report, name, title, description) -> m.Exercise | None:
    focus = top.word_list("focus", FOCUS_AREAS, required=True)
    equipment = top.word_list("equipment", EQUIPMENT, required=True)
    position = top.choice("position", tuple(POSITIONS), required=True)
    contraindications = top.word_list("contraindications", tuple(CONDITIONS), required=True, allow_empty=True)
    setup = _text_field(top, "setup", report, required=False, level_default="brief")
    setup_s = top.count("setup_s", 0, MAX_SETUP_S, "seconds", example="5")
    sets = top.count("sets", 1, MAX_SETS, "sets", example="3")
    set_rest_s = top.count("set_rest_s", 0, MAX_REST_S, "seconds", example="10")
    inhale_ms, exhale_ms = m.DEFAULT_INHALE_MS, m.DEFAULT_EXHALE_MS
    breath_node = top.raw("breath")
    if breath_node is not None:
        breath = Fields(breath_node, report, ("inhale_s", "exhale_s"), "'breath'")
        inhale_ms = _seconds_ms(breath.number("inhale_s", *PHASE_S, "seconds", integer=False, example="4")) or inhale_ms
        exhale_ms = _seconds_ms(breath.number("exhale_s", *PHASE_S, "seconds", integer=False, example="6")) or exhale_ms
    safety = _text_field(top, "safety", report, required=True, level_default="minimal")
    for field_name, text in (("setup", setup), ("safety", safety)):
        if text is not None:
            _check_text_placeholders(text, report, top.line_for(field_name), inside_sides=False)
    steps: tuple = ()
    steps_node = top.raw("steps")
    if steps_node is None:
        report.add(top.line, "an exercise needs 'steps', e.g. steps: [{say: Kneel on your mat.}]")
    else:
        steps = _read_steps(steps_node, report, inhale_ms, exhale_ms, "'steps'")
        if not steps:
            if not any(p.line >= top.line_for("steps") for p in report.problems):
                report.add(top.line_for("steps"), "'steps' is empty; add at least one step, e.g. - say: Kneel on your mat.")
    _check_placeholders(steps, report, inside_sides=False)
    if (report.problems or focus is None or equipment is None or position is None or contraindications is None
            or safety is None):
        return None
    if setup_s is not None:
        setup_ms = int(setup_s * 1000)
    elif set(equipment or ()) & m.SETUP_EQUIPMENT:
        setup_ms = m.EQUIPMENT_SETUP_MS
    else:
        setup_ms = m.DEFAULT_SETUP_MS
    exercise = m.Exercise(
        name=name, title=title, description=description, focus=focus, equipment=equipment,
        position=position, contraindications=contraindications, safety=safety, steps=steps,
        setup=setup, setup_ms=setup_ms, source=report.path, sets=sets or 1,
        set_rest_ms=m.DEFAULT_SET_REST_MS if set_rest_s is None else set_rest_s * 1000,
        line=top.line_for("steps"),
    )
    too_big = exercise_problems(exercise)
    report.problems.extend(too_big)
    return None if too_big else exercise


def name_problem(name: str) -> str | None:
    """Why a name cannot name a script (it is looked up as NAME.yaml), or None."""
    if len(name) > MAX_NAME_CHARS:
        return f"the name '{name[:20]}...' is {len(name)} characters; a name is at most {MAX_NAME_CHARS}, shorten it"
    if not SLUG.match(name):
        return f"'{name}' is not a name; names are lowercase words joined by hyphens, e.g. child-pose"
    return None


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
SIDE_PLACEHOLDERS = ("{side}", "{other}")


def _check_placeholders(steps: tuple, report: Report, inside_sides: bool) -> None:
    """{side} and {other} only mean something inside a 'sides' block; any other {word} is a typo."""
    for step in steps:
        for text in _texts_of(step):
            _check_text_placeholders(text, report, step.line, inside_sides)
        _check_placeholders(step.children(), report, inside_sides or _fills_sides(step))


def _fills_sides(step: m.Step) -> bool:
    return isinstance(step, m.Sides) or (isinstance(step, m.Repeat) and step.alternate)


def _texts_of(step: m.Step) -> list[m.Text]:
    """The texts a step speaks itself (not its children's)."""
    texts: list[m.Text] = []

    def collect(text: m.Text) -> m.Text:
        texts.append(text)
        return text

    step.map_texts(collect)
    return texts


def _check_text_placeholders(text: m.Text, report: Report, line: int, inside_sides: bool) -> None:
    for form in (text.full, text.brief):
        for placeholder in dict.fromkeys(_PLACEHOLDER.findall(form or "")):
            if placeholder not in SIDE_PLACEHOLDERS:
                report.add(line, f"'{placeholder}' is not a placeholder; write {{side}} or {{other}} "
                                 f"(inside 'sides' or an alternating 'repeat'), or remove the braces")
            elif not inside_sides:
                report.add(line, f"{placeholder} only works inside a 'sides' block or a 'repeat' with alternate: "
                                 f"true, where it becomes left or right; move this step there, or write the side out")


def _read_routine(top: Fields, report: Report, name, title, description) -> m.RoutineScript | None:
    rest_s = top.count("rest_s", 0, MAX_REST_S, "seconds", example="5")
    entries: list[m.Entry] = []
    node = top.raw("sequence")
    if node is None:
        report.add(top.line, "a routine needs 'sequence', e.g. sequence: [child-pose, cat-cow]")
    elif not isinstance(node, yaml.SequenceNode):
        report.add(line_of(node), "'sequence' must be a list of exercise names, e.g. sequence: [child-pose, cat-cow]")
    elif not node.value:
        report.add(line_of(node), "'sequence' is empty; list at least one exercise, e.g. sequence: [child-pose, cat-cow]")
    else:
        for item in node.value:
            if report.full:
                break
            entry = _read_entry(item, report)
            if entry is not None:
                entries.append(entry)
    if report.problems:
        return None
    return m.RoutineScript(name=name, title=title, description=description, sequence=tuple(entries),
                           rest_ms=int((rest_s or 0) * 1000), source=report.path, line=top.line_for("sequence"))


def _read_entry(item: yaml.Node, report: Report) -> m.Entry | None:
    if isinstance(item, yaml.ScalarNode):
        name = item.value.strip()
        if _bad_entry_name(name, line_of(item), report):
            return None
        return m.Entry(name=name, line=line_of(item))
    f = Fields(item, report, ("exercise", "hold_s", "breaths", "reps", "sets"), "a sequence entry")
    name = f.text("exercise", required=True, example="child-pose")
    if name is not None and _bad_entry_name(name, f.line_for("exercise"), report):
        name = None
    hold_s = f.count("hold_s", 1, MAX_HOLD_S, "seconds")
    breaths = f.count("breaths", 1, MAX_BREATHS, "breaths", example="8")
    reps = f.count("reps", 1, MAX_REPS, "repetitions", example="10")
    sets = f.count("sets", 1, MAX_SETS, "sets", example="3")
    if name is None:
        return None
    return m.Entry(name=name, hold_s=hold_s, breaths=breaths, reps=reps, line=line_of(item), sets=sets)


def _bad_entry_name(name: str, line: int, report: Report) -> bool:
    """A name that cannot be a script's file is a problem here, never a lookup."""
    why = name_problem(name)
    if why:
        report.add(line, why)
    return why is not None


def _read_steps(node: yaml.Node, report: Report, inhale_ms: int, exhale_ms: int, what: str) -> tuple:
    if not isinstance(node, yaml.SequenceNode):
        report.add(line_of(node), f"{what} must be a list of steps, each starting with '- '")
        return ()
    steps = []
    for item in node.value:
        if report.full:
            break
        step = _read_step(item, report, inhale_ms, exhale_ms)
        if step is not None:
            steps.append(step)
    return tuple(steps)


def _read_step(item: yaml.Node, report: Report, inhale_ms: int, exhale_ms: int):
    line = line_of(item)
    if not isinstance(item, yaml.MappingNode) or not item.value:
        report.add(line, f"a step must be a mapping with one of: {', '.join(m.STEP_KINDS)}; e.g. - say: Kneel on your mat.")
        return None
    keys = [k.value for k, _ in item.value if isinstance(k, yaml.ScalarNode)]
    kinds = [k for k in keys if k in m.STEP_KINDS]
    if len(kinds) != 1:
        if not kinds:
            first = keys[0] if keys else "?"
            report.add(line, f"unknown step '{first}'{did_you_mean(first, m.STEP_KINDS)}; a step is one of: {', '.join(m.STEP_KINDS)}")
        else:
            report.add(line, f"a step has one kind, but this one has {', '.join(kinds)}; split it into separate steps")
        return None
    kind = kinds[0]
    if kind in ("say", "safety"):
        f = Fields(item, report, (kind, "brief", "level"), f"a '{kind}' step")
        text = _spoken(f, kind, report, level_default="minimal" if kind == "safety" else None)
        if text is None:
            return None
        return m.Say(text, line) if kind == "say" else m.SafetyStep(text, line)
    if kind == "move":
        return _read_move(item, report, inhale_ms, exhale_ms)
    f = Fields(item, report, (kind,), f"a '{kind}' step")
    body = f.raw(kind)
    if body is None:
        return None
    if kind == "hold":
        return _read_hold(body, report, inhale_ms, exhale_ms)
    if kind == "breathe":
        return _read_breathe(body, report, inhale_ms, exhale_ms)
    if kind == "repeat":
        g = Fields(body, report, ("times", "count", "alternate", "first", "steps"), "'repeat'")
        times = g.count("times", 1, MAX_REPS, "repetitions", required=True, example="10")
        counted = g.boolean("count", True)
        alternate = g.boolean("alternate", False)
        first = g.choice("first", SIDES) or "left"
        if g.has("first") and not alternate:
            report.add(g.line_for("first"), "'first' only applies to an alternating repeat; add alternate: true or remove 'first'")
        steps = _nested_steps(g, report, inhale_ms, exhale_ms, "'repeat'")
        return m.Repeat(times, counted, steps, line, alternate, first) if times and steps else None
    if kind == "sides":
        g = Fields(body, report, ("first", "steps"), "'sides'")
        first = g.choice("first", SIDES) or "left"
        steps = _nested_steps(g, report, inhale_ms, exhale_ms, "'sides'")
        return m.Sides(first, steps, line) if steps else None
    g = Fields(body, report, ("seconds", "say", "brief"), "'rest'")
    seconds = g.count("seconds", 1, MAX_REST_S, "seconds", required=True, example="10")
    text = _spoken(g, "say", report, required=False)
    return m.Rest(int(seconds * 1000), text, line) if seconds else None


def _read_move(item: yaml.Node, report: Report, inhale_ms: int, exhale_ms: int) -> m.Move | None:
    f = Fields(item, report, ("move", "brief", "level", "seconds", "settle_s", "tempo", "breath"), "a 'move' step")
    text = _spoken(f, "move", report)
    breath = f.choice("breath", tuple(BREATH_LEADS))
    tempo = f.boolean("tempo", False)
    settle_s = f.number("settle_s", 0, MAX_SETTLE_S, "seconds", integer=False, example="1")
    if breath is None and not f.has("breath"):
        seconds = f.number("seconds", *MOVE_S, "seconds", required=True, integer=False, example="3")
    else:
        # Led by the breath: the movement lasts that phase; 'seconds' sets the phase's length.
        seconds = f.number("seconds", *PHASE_S, "seconds", integer=False, example="6")
        if tempo:
            report.add(f.line_for("tempo"), "a move led by the breath is paced by the breath; remove 'tempo'")
    if text is None or (breath is None and (f.has("breath") or seconds is None)):
        return None
    if breath is not None:
        phase_ms = inhale_ms if BREATH_LEADS[breath] == "inhale" else exhale_ms
        move_ms = _seconds_ms(seconds) or phase_ms
    else:
        move_ms = _seconds_ms(seconds) or 0
    return m.Move(text, move_ms, _seconds_ms(settle_s) or 0, tempo and breath is None, breath, line_of(item))


def _nested_steps(g: Fields, report: Report, inhale_ms: int, exhale_ms: int, what: str) -> tuple:
    node = g.raw("steps")
    if node is None:
        report.add(g.line, f"{what} needs 'steps', a list of steps to run")
        return ()
    steps = _read_steps(node, report, inhale_ms, exhale_ms, f"{what} steps")
    if not steps and isinstance(node, yaml.SequenceNode) and not node.value:
        report.add(line_of(node), f"{what} steps is empty; add at least one step")
    return steps


def _read_hold(body: yaml.Node, report: Report, inhale_ms: int, exhale_ms: int) -> m.Hold | None:
    g = Fields(body, report, ("seconds", "breaths", "inhale_s", "exhale_s", "countdown", "halfway", "cues"), "'hold'")
    if g.has("seconds") == g.has("breaths"):
        report.add(g.line, "a hold needs exactly one of 'seconds' or 'breaths', e.g. hold: {seconds: 30}")
        return None
    seconds = g.number("seconds", 1, MAX_HOLD_S, "seconds", integer=False, example="30")
    breaths = g.count("breaths", 1, MAX_BREATHS, "breaths", example="5")
    inhale_ms = _seconds_ms(g.number("inhale_s", *PHASE_S, "seconds", integer=False, example="4")) or inhale_ms
    exhale_ms = _seconds_ms(g.number("exhale_s", *PHASE_S, "seconds", integer=False, example="6")) or exhale_ms
    if seconds is None and breaths is None:
        return None
    hold_ms = _seconds_ms(seconds)
    duration_ms = hold_ms if hold_ms is not None else (breaths or 0) * (inhale_ms + exhale_ms)
    if hold_ms is None and duration_ms > MAX_HOLD_S * 1000:
        report.add(g.line, f"{breaths} breaths of {(inhale_ms + exhale_ms) / 1000:g} s last over {MAX_HOLD_S} s; use fewer breaths")
    default_countdown = 3 if hold_ms is not None and hold_ms >= 10_000 else 0
    countdown = g.count("countdown", 0, MAX_COUNTDOWN, "numbers", example="3")
    countdown = default_countdown if countdown is None else countdown
    if hold_ms is not None and countdown * 1000 >= hold_ms:
        report.add(g.line_for("countdown"), f"a countdown of {countdown} does not fit in a {seconds:g} s hold; count fewer numbers")
    halfway = g.boolean("halfway", hold_ms is not None and hold_ms >= 20_000)
    cues = []
    cues_node = g.raw("cues")
    if cues_node is not None:
        if not isinstance(cues_node, yaml.SequenceNode):
            report.add(line_of(cues_node), "'cues' must be a list, e.g. cues: [{at_s: 15, say: Sink a little deeper.}]")
        elif len(cues_node.value) > MAX_HOLD_CUES:
            report.add(line_of(cues_node), f"{len(cues_node.value)} cues in one hold; at most {MAX_HOLD_CUES}, "
                                           f"or split the hold into several")
        else:
            for item in cues_node.value:
                cue = _read_hold_cue(item, report, duration_ms, breaths if hold_ms is None else None)
                if cue is not None:
                    cues.append(cue)
    return m.Hold(hold_ms, breaths if hold_ms is None else None, inhale_ms, exhale_ms, countdown, halfway,
                  tuple(sorted(cues, key=lambda c: c.at_ms)), line_of(body))


def _read_hold_cue(item: yaml.Node, report: Report, hold_ms: int, breaths: int | None) -> m.HoldCue | None:
    f = Fields(item, report, ("at_s", "at_breath", "say", "safety", "brief", "level"), "a cue inside a hold")
    if f.has("at_s") == f.has("at_breath"):
        report.add(f.line, "a cue inside a hold needs exactly one of 'at_s' (seconds from its start) or "
                           "'at_breath' (in a hold counted in breaths), e.g. at_s: 15")
        return None
    at_s = f.number("at_s", 0, MAX_HOLD_S, "seconds from the start of the hold", integer=False, example="15")
    at_breath = f.count("at_breath", 1, MAX_BREATHS, "breaths", example="3")
    if f.has("say") == f.has("safety"):
        report.add(f.line, "a cue inside a hold needs exactly one of 'say' or 'safety'")
        return None
    kind = "say" if f.has("say") else "safety"
    text = _spoken(f, kind, report, level_default="minimal" if kind == "safety" else None)
    if text is None:
        return None
    if at_breath is not None:
        if breaths is None:
            report.add(f.line_for("at_breath"), "'at_breath' needs a hold counted in breaths; use at_s in a hold timed in seconds")
            return None
        if at_breath > breaths:
            report.add(f.line_for("at_breath"), f"at_breath {at_breath} is past the hold's {breaths} breaths; use 1 to {breaths}")
            return None
        return m.HoldCue((at_breath - 1) * hold_ms // breaths, text, kind == "safety", f.line, at_breath)
    if at_s is None:
        return None
    if at_s * 1000 >= hold_ms:
        report.add(f.line_for("at_s"), f"at_s {at_s:g} is not inside the {hold_ms / 1000:g} s hold; use a time before its end")
        return None
    return m.HoldCue(int(at_s * 1000), text, kind == "safety", f.line)


def _read_breathe(body: yaml.Node, report: Report, inhale_ms: int, exhale_ms: int) -> m.Breathe | None:
    keys = ("breaths", "seconds", "inhale_s", "exhale_s", "inhale_say", "inhale_brief", "exhale_say", "exhale_brief")
    g = Fields(body, report, keys, "'breathe'")
    if g.has("breaths") == g.has("seconds"):
        report.add(g.line, "'breathe' needs exactly one of 'breaths' (a count) or 'seconds' (as many breaths "
                           "as fill that time), e.g. breathe: {breaths: 8}")
        return None
    breaths = g.count("breaths", 1, MAX_BREATHS, "breaths", example="8")
    seconds = g.count("seconds", 5, MAX_HOLD_S, "seconds", example="30")
    inhale_ms = _seconds_ms(g.number("inhale_s", *PHASE_S, "seconds", integer=False, example="4")) or inhale_ms
    exhale_ms = _seconds_ms(g.number("exhale_s", *PHASE_S, "seconds", integer=False, example="4")) or exhale_ms
    for_ms = None if seconds is None else seconds * 1000
    if for_ms is not None:
        breaths = max(1, round(for_ms / (inhale_ms + exhale_ms)))
    phases = {}
    for phase, default, default_brief in (("inhale", "Breathe in.", "In."), ("exhale", "Breathe out.", "Out.")):
        full = g.text(f"{phase}_say") or default
        brief = g.text(f"{phase}_brief") or (default_brief if not g.has(f"{phase}_say") else None)
        phases[phase] = m.Text(full, brief, "brief")
    if breaths is None:
        return None
    if breaths * (inhale_ms + exhale_ms) > MAX_HOLD_S * 1000:
        report.add(g.line, f"{breaths} breaths last over {MAX_HOLD_S} s; use fewer breaths or split the step")
    return m.Breathe(breaths, inhale_ms, exhale_ms, phases["inhale"], phases["exhale"], line_of(body), for_ms)


def _spoken(f: Fields, key: str, report: Report, required: bool = True,
            level_default: str | None = None) -> m.Text | None:
    full = f.text(key, required=required, example="Sit back towards your heels.")
    brief = f.text("brief")
    level = f.choice("level", VERBOSITIES)
    if full is None:
        return None
    if level is None:
        level = level_default or ("brief" if brief else "full")
    return m.Text(full, brief, level)


def _text_field(top: Fields, key: str, report: Report, required: bool,
                level_default: str | None = None) -> m.Text | None:
    """A text field written either as plain text or as {say, brief}."""
    node = top.raw(key)
    if node is None:
        if required:
            report.add(top.line, f"an exercise needs '{key}', e.g. {key}: Move slowly and stop if you feel sharp pain.")
        return None
    if isinstance(node, yaml.MappingNode):
        f = Fields(node, report, ("say", "brief", "level"), f"'{key}'")
        return _spoken(f, "say", report, level_default=level_default)
    value = top.text(key, required=required)
    if value is None:
        return None
    return m.Text(value, None, level_default or "full")


def _seconds_ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds * 1000))
