"""The voice-command part of the report: its targets and its section."""

from __future__ import annotations

from tools.bench.results import Results


def _fmt_ms(value) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _room(session: dict) -> str:
    """", in noise at 10 dB (...)" for the live run in a noisy room; nothing for the quiet one."""
    from coach.listen.whisper import QUIET_SNR_DB   # light: faster-whisper loads only with a recognizer

    snr = session.get("talk_snr_db", 30.0)
    return "" if snr >= QUIET_SNR_DB else f", in pink noise at {snr:g} dB (each remark listened to twice)"


def _worst(v: dict, snr: str) -> float | None:
    rates = [per[snr] for per in v["detection"].values() if per.get(snr) is not None]
    return min(rates) if rates else None


def listen_targets(r: Results) -> list[tuple[str, str, bool | None]]:
    v = r.listen
    if not v:
        return []
    rows: list[tuple[str, str, bool | None]] = []
    for snr, target in (("10 dB SNR", 0.95), ("0 dB SNR", 0.80)):
        worst = _worst(v, snr)
        rows.append((f"voice command: every command detected >= {target:.0%} at {snr}",
                     "n/a" if worst is None else f"worst {worst:.0%}", None if worst is None else worst >= target))
    silenced, confirmed = v.get("silenced_median_ms"), v.get("confirmed_median_ms")
    rows.append(("voice command: safety stop silenced (provisional) <= 300 ms, median", _fmt_ms(silenced),
                 None if silenced is None else silenced <= 300))
    rows.append(("voice command: confirmed commands <= 1.5 s, median", _fmt_ms(confirmed),
                 None if confirmed is None else confirmed <= 1500))
    own = v["own_voice"]
    rows.append(("false accepts on coach's own voice, gated: 0", f"{own['gated']} in {own['hours']:.2f} h", own["gated"] == 0))
    beds = v["beds"]
    count = sum(len(t) for t in beds["triggers"].values())
    rows.append(("false accepts on the background beds: 0", f"{count} in {len(beds['triggers']) * beds['minutes']} min",
                 count == 0))
    other = v["other_speech"]
    rows.append(("false accepts on other speech: 0 in at least one hour",
                 f"{other['accepted']} in {other['hours']:.2f} h" + (f" (95% bound {other['bound_per_hour']:.1f}/h)"
                                                                    if other["accepted"] == 0 else ""),
                 other["accepted"] == 0 and other["hours"] >= 1.0))
    for s in v.get("session") or []:
        if "p95_ms" in s:
            rows.append((f"live cue lateness p95 < 30 ms while listening (Whisper on {s['threads']} thread(s)"
                         f"{_room(s)})", f"{s['p95_ms']:.1f} ms", s["p95_ms"] < 30))
    return rows


def listen_section(r: Results) -> list[str]:
    v = r.listen
    if not v:
        return []
    snrs = sorted({snr for per in v["detection"].values() for snr in per}, key=lambda s: -float(s.split()[0]))
    out = ["## Voice commands", "",
           f"The listening loop of `coach play --listen` (`coach.listen.recording`: the "
           f"{v.get('endpointer', 'energy')} endpointer, gate, voicing check, the grammar's fast first pass and "
           f"Whisper base, int8, {v['threads']} threads, avg_logprob above {v['logprob_min']}), fed recorded "
           f"audio frame by frame. Commands: every phrase synthesised by "
           f"{len(v['voices'])} voices ({', '.join(v['voices'])}), each said once between 0.6 s and 1 s of quiet, "
           f"under pink noise at each signal-to-noise ratio. {v['trials']} trials. A trial counts when the command "
           f"acted on is the right one; {v['wrong_command']} trials acted on a wrong command.", "",
           "| command | " + " | ".join(snrs) + " |", "|---|" + "---|" * len(snrs)]
    for command, per in v["detection"].items():
        out.append(f"| {command} | " + " | ".join(f"{per.get(s, 0):.0%}" for s in snrs) + " |")
    out += ["", f"Latency from the end of the words (the endpointer's 210 ms of quiet, plus decoding): the "
            f"provisional safety stop (the grammar) median {_fmt_ms(v['silenced_median_ms'])} "
            f"({v['stops_provisional']} of {v['stops']} stop trials raised one); a confirmed command median "
            f"{_fmt_ms(v['confirmed_median_ms'])}, p95 {_fmt_ms(v['confirmed_p95_ms'])}"
            + (f"; the {v['rescued']} commands heard only by the second listen (denoised) median "
               f"{_fmt_ms(v['rescued_median_ms'])}, slowest {_fmt_ms(v['rescued_max_ms'])}" if v.get("rescued") else "")
            + ". Whisper's cost: "
            f"{v['cpu_s_per_utterance']:.2f} CPU-seconds an utterance"
            + (f" ({v['listened_again']} of the trials' {v['trial_utterances']} utterances listened to again, "
               f"denoised)" if "listened_again" in v else "")
            + f"; model loaded in {v['load_s']:.1f} s; the "
            f"benchmark process peaked at {v['rss_mb']:.0f} MB resident.", ""]
    own, other, beds = v["own_voice"], v["other_speech"], v["beds"]
    out += [f"False accepts. *coach's own voice*: the Piper export of {', '.join(own['routines'])} "
            f"({own['hours']:.2f} h) with the session's gate: {own['gated']}"
            + (": " + "; ".join(own["heard"]) if own["heard"] else "") + ". *The beds*, each alone for "
            f"{beds['minutes']} minutes: " + "; ".join(f"{n} {len(t)}" for n, t in beds["triggers"].items()) + ". "
            f"*Other speech* ({other['hours']:.2f} h: {other['sentences']} sentences of coach's docs in "
            f"{len([p for p in other['parts'] if p.startswith('sentences')])} voices, "
            + (f"{other['article_sentences']} sentences of the reference articles, " if other.get("article_sentences") else "")
            + f"{other['remark_utterances']} short remarks, people reading aloud): {other['accepted']} accepted, "
            f"{other['decoded']} utterances "
            f"short enough to be decoded" + (": " + "; ".join(other["examples"]) if other["examples"] else "")
            + (f". With 0 events in T hours the 95% upper bound is 3/T per hour: {other['bound_per_hour']:.1f} per hour."
               if other["accepted"] == 0 else f": {other['accepted'] / other['hours']:.1f} per hour."), ""]
    alike = other.get("sound_alikes")
    if alike:
        out += [f"Words that sound like a command (\"paws\", \"top\", \"nest\", \"boss\", \"stomp\", ...; {alike['words']} said, counted "
                f"apart): {alike['accepted']} taken for one" + (": " + "; ".join(alike["examples"]) if alike["examples"] else "")
                + ".", ""]
    noisy = v.get("remarks_in_noise")
    if noisy:
        out += [f"Short remarks in noise ({noisy['remarks']} of the remarks above, {noisy['voice']}, each alone under "
                f"pink noise at {noisy['snr_db']:.0f} dB, where the quiet-room check is off; {noisy['listened_again']} "
                f"listened to again, denoised): {noisy['accepted']} taken for a command"
                + (": " + "; ".join(noisy["examples"]) if noisy["examples"] else "") + ".", ""]
    wake = v.get("wake_word")
    if wake:
        out += [f"With the wake word (\"Coach, pause.\", {', '.join(wake['voices'])}, 10 dB): {wake['detected']:.0%} of "
                f"{wake['trials']} understood" + (f" (missed: {', '.join(wake['missed'])})" if wake["missed"] else "")
                + f"; commands without \"coach\" obeyed: {wake['without_wake_word_obeyed']} of {wake['without_trials']}.", ""]
    for s in v.get("session") or []:
        if "p95_ms" in s:
            out.append(f"`coach live {s['routine']} --listen` in real time, Whisper on {s['threads']} thread(s), the "
                       f"microphone hearing a short remark every 3 s{_room(s)}: cue lateness median {s['median_ms']:.1f} ms, p95 "
                       f"{s['p95_ms']:.1f} ms, max {s['max_ms']:.1f} ms over {s['cues']} cues; {s['provisional']} "
                       f"provisional stops, {s['heard']} commands obeyed during the session"
                       + (f"; the question at the end answered with what the talk said: "
                          f"{', '.join(s['answers'])}" if s.get("answers") else "") + ".")
        else:
            out.append(f"`coach live --listen` with {s['threads']} thread(s): {s['error']}")
    return out + [""]
