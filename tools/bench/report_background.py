"""The background part of the report: its target and its section."""

from __future__ import annotations

from tools.bench.results import Results


def background_targets(r: Results) -> list[tuple[str, str, bool | None]]:
    v = r.background
    if not v:
        return []
    first = v["first_sound"]["with"].get("first_sound_s")
    return [(f"first sound with --background {v['bed']}, warm cache < 0.3 s (play {v['routine']}, piper)",
             "n/a" if first is None else f"{first:.2f} s", None if first is None else first < 0.3)]


def background_section(r: Results) -> list[str]:
    v = r.background
    if not v:
        return []
    first = {name: run.get("first_sound_s") for name, run in v["first_sound"].items()}
    runs = v["first_sound"]["with"].get("runs", 0)
    cost = v["mixing"]["cpu_s_per_min"]
    out = ["## Background under a session", "",
           f"`coach play {v['routine']} --engine piper --background {v['bed']}` on a warm cache, against the same "
           f"play without a background, in this run ({runs} runs each). First sound means the first sample that is "
           "not silence (once started, the stream writes silence between cues). The stream starts with the first "
           "sound, so only making the bed (about 45 ms for rain) should separate the two.", "",
           "| | first sound | ratio |", "|---|---|---|"]
    base = first.get("without")
    for name in ("without", "with"):
        value = first.get(name)
        ratio = f"{value / base:.2f}x" if value and base else "n/a"
        out.append(f"| {name} a background | {'n/a' if value is None else f'{value:.2f} s'} | {ratio} |")
    out += ["", f"The continuous stream's writer, mixing {v['mixing']['minutes']} minutes of a session (a spoken cue "
            f"every 5 s) 20 ms at a time, in-process: {cost['with']:.2f} s of CPU per minute of session with the "
            f"bed ({cost['with'] / 60:.1%} of one core), {cost['without']:.2f} s without it "
            f"({cost['with'] / cost['without']:.1f}x).", ""]
    return out
