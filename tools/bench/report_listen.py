"""The voice-command part of the report: its targets and its section."""

from __future__ import annotations

from tools.bench.results import Results


def _fmt_ms(value) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def listen_targets(r: Results) -> list[tuple[str, str, bool | None]]:
    v = r.listen
    if not v:
        return []
    rows: list[tuple[str, str, bool | None]] = []
    med, stop = v.get("latency_median_ms"), v.get("stop_latency_median_ms")
    rows.append(("voice command: median latency from the end of the words < 500 ms", _fmt_ms(med),
                 None if med is None else med < 500))
    rows.append(("voice command: safety stop latency (median) < 300 ms", _fmt_ms(stop),
                 None if stop is None else stop < 300))
    at10 = [per.get("10 dB SNR") for per in v["detection"].values() if per.get("10 dB SNR") is not None]
    worst = min(at10) if at10 else None
    rows.append(("voice command: every command detected >= 95% at 10 dB SNR",
                 "n/a" if worst is None else f"worst {worst:.0%}", None if worst is None else worst >= 0.95))
    own = v["own_voice"]
    rows.append(("false triggers on coach's own voice, gated: 0 per hour",
                 f"{own['gated_per_hour']:.1f}/h ({own['gated']} in {own['hours']:.2f} h)", own["gated"] == 0))
    other = v["other_speech"]
    rows.append(("false triggers on other speech < 1 per hour",
                 f"{other['per_hour']:.0f}/h ({other['triggers']} in {other['hours']:.2f} h)", other["per_hour"] < 1))
    beds = v.get("beds")
    if beds:
        count = sum(len(t) for t in beds["triggers"].values())
        hours = len(beds["triggers"]) * beds["minutes"] / 60
        rows.append(("false triggers on the background beds (as the microphone hears them): 0 per hour",
                     f"{count / hours:.1f}/h ({count} in {hours:.2f} h)", count == 0))
    wake = v.get("wake_word")
    if wake:
        other = wake["other_speech"]
        rows.append(("false triggers on other speech < 1 per hour, with the wake word",
                     f"{other['per_hour']:.0f}/h ({other['triggers']} in {other['hours']:.2f} h)", other["per_hour"] < 1))
    return rows


def listen_section(r: Results) -> list[str]:
    v = r.listen
    if not v:
        return []
    snrs = sorted({snr for per in v["detection"].values() for snr in per}, key=lambda s: -float(s.split()[0]))
    out = ["## Voice commands", "",
           f"The listening loop of `coach play --listen` (endpointer, gate, recognizer: `coach.listen`), fed recorded "
           f"audio frame by frame. Commands: every phrase synthesised by {len(v['voices'])} voices "
           f"({', '.join(v['voices'])}), each said once between 0.6 s and 1 s of quiet, under pink noise at each "
           f"signal-to-noise ratio (40 dB is a quiet room). {v['trials']} trials; confidence threshold "
           f"{v['confidence_min']}. A trial counts when the first command acted on is the right one; "
           f"{v['wrong_command']} trials acted on a wrong command.", "",
           "| command | " + " | ".join(snrs) + " |", "|---|" + "---|" * len(snrs)]
    for command, per in v["detection"].items():
        out.append(f"| {command} | " + " | ".join(f"{per.get(s, 0):.0%}" for s in snrs) + " |")
    own, other = v["own_voice"], v["other_speech"]
    out += ["", f"Latency, from the end of the words to the decision (the endpointer's 210 ms of quiet plus "
            f"decoding; the player acts within its 5 ms poll): median {_fmt_ms(v['latency_median_ms'])}, p95 "
            f"{_fmt_ms(v['latency_p95_ms'])}; safety stop median {_fmt_ms(v['stop_latency_median_ms'])}.", "",
            f"False triggers. *coach's own voice*: the Piper export of {', '.join(own['routines'])} "
            f"({own['hours']:.2f} h), heard with the gate a session has (closed while coach sounds, plus its tail): "
            f"{own['gated']} ({own['gated_per_hour']:.1f} per hour); as if the gate failed: {own['ungated']} "
            f"({own['ungated_per_hour']:.1f} per hour)" + (": " + "; ".join(own["ungated_heard"]) if own["ungated_heard"] else "")
            + ". *Other speech*: "
            f"{other['sentences']} sentences of coach's docs and {other['remarks']} short remarks a person might make "
            f"on the mat, each followed by a pause, in two voices ({other['hours']:.2f} h): {other['triggers']} "
            f"({other['per_hour']:.0f} per hour)" + (": " + "; ".join(other["examples"]) if other["examples"] else "")
            + ".", ""]
    beds = v.get("beds")
    if beds:
        out += [f"*The background beds* (`--background`), each alone for {beds['minutes']} minutes, as the microphone "
                "hears them between cues: " + "; ".join(f"{name} {len(t)}" + (f" ({', '.join(t[:3])})" if t else "")
                                                       for name, t in beds["triggers"].items())
                + " false triggers. Before the voicing check (`coach.listen.voicing`) the ocean's waves were taken "
                "for \"stop\" every 24 s.", ""]
    wake = v.get("wake_word")
    if wake:
        other = wake["other_speech"]
        out += [f"With the wake word (`--wake-word`, every command said as \"Coach, pause.\"): "
                + ", ".join(f"{rate:.0%} of {wake['trials'] // len(wake['detected'])} commands understood at {snr}"
                            for snr, rate in wake["detected"].items())
                + f" ({', '.join(wake['voices'])}); the same other speech: {other['triggers']} false triggers "
                f"({other['per_hour']:.0f} per hour)" + (": " + "; ".join(other["examples"]) if other["examples"] else "")
                + ".", ""]
    return out
