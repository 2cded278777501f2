"""The web player and the remote in a real browser: Debian's headless chromium through selenium.

One browser for the module, at phone size; one `coach serve` (in this process, on a free loopback
port, real espeak, a real cache, real screening answers and history). Tests wait for events in the
page (WebDriverWait on a condition), never for a guessed time. Screenshots of each page at 390 x 844
are saved in build/screenshots/ (COACH_SCREENSHOTS overrides it).

Media Session handlers cannot be pressed from a page, so a script added before the page's own
records every handler the page registers; a test then calls one as a headset button would.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from alsa_capture import read_capture, write_capture_config
from support import COACH, tiny_script
from coach.audio_format import ms_to_samples
from coach.safety import spoken_exit

pytestmark = pytest.mark.slow

pytest.importorskip("selenium")
if not (shutil.which("chromium") and shutil.which("chromedriver")):
    pytest.skip("needs Debian's chromium and chromium-driver (scripts/setup installs them)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from coach.session import VoiceChoice  # noqa: E402
from coach.web.server import Bound, ServeRequest, open_server  # noqa: E402

SHOTS = Path(os.environ.get("COACH_SCREENSHOTS", Path(__file__).parent.parent / "build" / "screenshots"))
WAIT_S = 30
# Every Media Session handler the page sets, kept where a test can call it.
RECORD_MEDIA_HANDLERS = """
window.__media = {};
if (navigator.mediaSession) {
  const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
  navigator.mediaSession.setActionHandler = (action, handler) => { window.__media[action] = handler; set(action, handler); };
}
window.__tapped = null;
document.addEventListener("click", () => { window.__tapped = performance.now(); }, true);
document.addEventListener("playing", () => { if (window.__firstSound == null && window.__tapped != null)
  window.__firstSound = performance.now() - window.__tapped; }, true);
"""

SECOND_EXERCISE = """\
format: 1
kind: exercise
name: tiny-lying
title: Tiny lying stretch
description: A very short stretch on your back for the tests.
focus: [lower-back]
equipment: [mat]
position: lying-back
setup_s: 3
contraindications: []
safety:
  say: Keep your head down.
  brief: Head down.
steps:
  - say: Hug your knees.
  - hold: {seconds: 3, countdown: 0}
"""
PAIR_ROUTINE = """\
format: 1
kind: routine
name: tiny-pair
title: Tiny pair
description: Two tiny stretches.
sequence:
  - tiny-stretch
  - tiny-lying
"""
EVIL_TITLE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("web")
    mine = home / "mine"
    mine.mkdir()
    tiny_script(mine, conditions="knee-injury")
    (mine / "tiny-lying.yaml").write_text(SECOND_EXERCISE)
    (mine / "tiny-pair.yaml").write_text(PAIR_ROUTINE)
    (mine / "evil.yaml").write_text(SECOND_EXERCISE.replace("name: tiny-lying", "name: evil")
                                    .replace("title: Tiny lying stretch", f"title: '{EVIL_TITLE}'"))
    (mine / "broken.yaml").write_text("format: 1\nkind: exercise\nname: broken\n")
    (home / "config.json").write_text(json.dumps({"conditions": {"knee-injury": False}}))
    return home


@pytest.fixture(scope="module")
def server(home) -> Iterator[Bound]:
    bound = open_server(ServeRequest(port=0, choice=VoiceChoice("espeak"), cache_dir=home / "cache",
                                     config_path=home / "config.json", history_db=home / "history.sqlite",
                                     personal_dir=home / "mine"))
    thread = threading.Thread(target=bound.serve, daemon=True)
    thread.start()
    yield bound
    bound.stop()
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
                 "--window-size=390,844"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    # A headless window is never narrower than 500 px: the phone's viewport, exactly.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_MEDIA_HANDLERS})
    yield driver
    driver.quit()


def wait(driver, condition, what: str, timeout: float = WAIT_S):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d), message=what)


def js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def tap(driver, css: str) -> None:
    element = driver.find_element("css selector", css)
    js(driver, "arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    js(driver, "window.scrollTo(0, 0)")
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def open_library(driver, bound: Bound) -> None:
    driver.get(bound.address.url)
    wait(driver, lambda d: js(d, "return document.querySelectorAll('#routines li').length") > 0, "the library")


def text(driver, element_id: str) -> str:
    return js(driver, "return document.getElementById(arguments[0]).textContent", element_id)


def playing(driver) -> bool:
    return js(driver, "const a = document.getElementById('audio'); return !a.paused && a.currentTime > 0.2")


def current_session(bound: Bound):
    assert bound.state.phone is not None
    sessions = list(bound.state.phone._sessions.values())
    assert len(sessions) == 1
    return sessions[0]


def outcomes(home: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(home / "history.sqlite") as db:
        return db.execute("SELECT routine, mode, outcome FROM sessions ORDER BY id").fetchall()


def press(driver, action: str) -> None:
    """What a headset or the lock screen does: call the page's Media Session handler."""
    assert js(driver, "return typeof window.__media[arguments[0]]", action) == "function", action
    js(driver, "window.__media[arguments[0]]({action: arguments[0]})", action)


def step_shown(driver) -> int:
    return int(js(driver, "return document.body.dataset.step || '-1'"))


def go_to_step(driver, index: int) -> None:
    """Next (the headset's next-track) until the page is on that step, each press waited for."""
    for _ in range(50):
        current = step_shown(driver)
        if current == index:
            return
        assert current < index, (current, index)
        press(driver, "nexttrack")
        wait(driver, lambda d: step_shown(d) > current, f"step after {current}")
    raise AssertionError(f"never reached step {index}")


def test_the_library_lists_every_routine_with_titles_as_text(browser, server):
    from coach.library import builtin_names

    open_library(browser, server)
    ids = js(browser, "return [...document.querySelectorAll('#routines li')].map(li => li.dataset.id)")
    assert set(builtin_names()) | {"my:tiny-stretch", "my:tiny-lying", "my:tiny-pair", "my:evil", "my:broken"} == set(ids)
    evil = browser.find_element("css selector", 'li[data-id="my:evil"] h3')
    assert evil.text == EVIL_TITLE                                   # shown as the text it is
    assert js(browser, "return window.pwned === undefined && document.querySelectorAll('#routines img').length === 0")
    broken = browser.find_element("css selector", 'li[data-id="my:broken"]').text
    assert "broken.yaml cannot be played" in broken
    card = browser.find_element("css selector", 'li[data-id="morning-back"]').text
    assert "min" in card and "Position:" in card and "Equipment:" in card
    shot(browser, "library")


def test_the_screening_is_answered_on_the_page_with_the_cli_rules(browser, server, home):
    open_library(browser, server)
    card = 'li[data-id="child-pose"]'
    assert "Answer the health questions" in browser.find_element("css selector", card).text
    tap(browser, f"{card} button")
    wait(browser, lambda d: js(d, "return document.body.dataset.state") == "screening", "the health questions")
    shot(browser, "screening")
    tap(browser, 'input[name="pregnancy"]')
    tap(browser, "#screening-save")
    wait(browser, lambda d: js(d, "return document.body.dataset.state") == "library", "back to the library")
    wait(browser, lambda d: "Play on this phone" in d.find_element("css selector", card).text, "child's pose playable")
    answers = json.loads((home / "config.json").read_text())["conditions"]
    assert answers["pregnancy"] is True and answers["recent-injury"] is False   # the file coach play reads
    ruled_out = js(browser, "return [...document.querySelectorAll('#routines li.ruled-out')].map(li => li.dataset.id)")
    from coach.library import resolve

    assert ruled_out and all("pregnancy" in resolve(name).contraindications for name in ruled_out)
    (home / "config.json").write_text(json.dumps({"conditions": {"knee-injury": False}}))


def test_play_on_the_phone_follows_the_audio_and_obeys_the_headset(browser, server, home):
    open_library(browser, server)
    tap(browser, 'li[data-id="my:tiny-pair"] button')
    wait(browser, playing, "sound")
    first_sound_ms = js(browser, "return window.__firstSound")
    session = current_session(server)
    steps = session.prepared.timeline
    from coach.player.segments import steps as steps_of

    all_steps = steps_of(steps)
    assert {"play", "pause", "nexttrack", "previoustrack", "stop"} <= set(js(browser, "return Object.keys(window.__media)"))
    # Three known places: the first step of each exercise and the first exercise's hold.
    chapters = [s for s in all_steps if s.chapter != all_steps[0].chapter]
    targets = [next(s for s in chapters if s.chapter == "Tiny stretch"),
               next(s for s in chapters if s.chapter == "Tiny stretch" and s.kind == "hold"),
               next(s for s in chapters if s.chapter == "Tiny lying stretch")]
    for target in targets:
        go_to_step(browser, target.index)
        wait(browser, lambda d: int(js(d, "return document.body.dataset.positionMs")) >= target.start_ms + 300,
             f"the audio at {target.label}")
        shown = js(browser, "return [document.body.dataset.positionMs, document.body.dataset.step,"
                            " document.getElementById('exercise').textContent, document.getElementById('now').textContent,"
                            " navigator.mediaSession.metadata.title]")
        position_ms = int(shown[0])
        at = max(s.index for s in all_steps if s.start_ms <= position_ms)
        assert int(shown[1]) == at == target.index
        assert shown[2] == target.chapter == shown[4]            # the page and the lock screen name the exercise
        if target.kind == "hold":
            assert shown[3] == "Hold"
            assert text(browser, "step-left") not in ("", "–")
            shot(browser, "player")
    # The headset's previous: the step again, from its start; pause and play.
    press(browser, "previoustrack")
    wait(browser, lambda d: int(js(d, "return document.body.dataset.positionMs")) < targets[-1].start_ms + 250,
         "back to the step's start")
    press(browser, "pause")
    wait(browser, lambda d: js(d, "return document.getElementById('audio').paused"), "paused")
    press(browser, "play")
    wait(browser, playing, "playing again")
    # To the end: recorded as completed.
    go_to_step(browser, all_steps[-1].index)
    wait(browser, lambda d: js(d, "return document.body.dataset.state") == "done", "the end", timeout=60)
    assert outcomes(home)[-1] == ("tiny-pair", "phone", "completed")
    print(json.dumps({"web_tap_to_sound_ms": first_sound_ms}))


def test_the_safety_stop_plays_the_exit_for_where_the_person_is(browser, server, home):
    open_library(browser, server)
    tap(browser, 'li[data-id="my:tiny-pair"] button')
    wait(browser, playing, "sound")
    all_steps = __import__("coach.player.segments", fromlist=["steps"]).steps(current_session(server).prepared.timeline)
    lying = next(s for s in all_steps if s.chapter == "Tiny lying stretch" and s.kind == "hold")
    go_to_step(browser, lying.index)
    wait(browser, playing, "sound on the lying hold")
    tap(browser, "#safety-stop")
    wait(browser, lambda d: js(d, "return document.body.dataset.state") == "exit", "the guided exit")
    exit_lines = js(browser, "return [...document.querySelectorAll('#exit-steps li')].map(li => li.textContent)")
    assert exit_lines == list(spoken_exit("lying-back"))            # the words coach play says on the floor
    assert "bladder or bowels" in text(browser, "urgent") and text(browser, "see-a-doctor")
    wait(browser, lambda d: "exit.mp3" in js(d, "return document.body.dataset.audioUrl") and playing(d),
         "the exit playing")
    shot(browser, "exit")
    assert outcomes(home)[-1] == ("tiny-pair", "phone", "safety-stop")


def test_a_phone_pairs_once_with_the_code_from_the_qr_link(browser, home):
    bound = open_server(ServeRequest(port=0, pairing=True, choice=VoiceChoice("espeak"), cache_dir=home / "cache",
                                     config_path=home / "config.json", history_db=home / "history.sqlite"))
    thread = threading.Thread(target=bound.serve, daemon=True)
    thread.start()
    try:
        browser.get(bound.address.url)                      # not paired: the form, nothing else
        assert "Pair with coach" in browser.page_source and not browser.find_elements("id", "routines")
        browser.get(bound.address.pair_url)                 # what the QR code opens: the code filled in
        assert browser.find_element("name", "code").get_attribute("value") == bound.address.pairing_code
        shot(browser, "pair")
        browser.find_element("css selector", "form button").click()
        wait(browser, lambda d: js(d, "return document.querySelectorAll('#routines li').length") > 0,
             "the library after pairing")
        assert js(browser, "return document.cookie") == ""   # HttpOnly: the page's script cannot read it
    finally:
        bound.stop()
        thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_remote_pauses_resumes_and_safety_stops_a_real_coach_play(browser, tmp_path):
    import wave

    from coach.library import resolve
    from coach.model import CompileOptions
    from coach.player.segments import sound_segments
    from coach.session.prepare import preview_timeline

    script = tiny_script(tmp_path)
    config, raw = write_capture_config(tmp_path)
    log = tmp_path / "timing.jsonl"
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), COACH_CACHE_DIR=str(tmp_path / "cache"),
               COACH_CONFIG=str(tmp_path / "screening.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"))
    flags = ["--engine", "espeak", "--verbosity", "minimal"]
    # Exported first: the cache is then warm, and the WAV is exactly what the session plays.
    subprocess.run(COACH + ["export", str(script), "-o", str(tmp_path / "tiny.wav"), "--yes", *flags], env=env,
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    proc = subprocess.Popen(COACH + ["play", str(script), "--yes", *flags, "--remote", "--remote-port", str(port),
                                     "--timing-log", str(log)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"Remote at http://127.0.0.1:{port}/"
        browser.get(f"http://127.0.0.1:{port}/")
        safety = "Move gently. Stop if anything hurts."
        wait(browser, lambda d: text(d, "caption") == safety, "the safety sentence on the remote")
        tap(browser, "#pause")                                 # while the sentence is being spoken
        wait(browser, lambda d: js(d, "return document.body.dataset.paused") == "true", "paused on the remote")
        assert text(browser, "now") == "Paused" and text(browser, "exercise") == "Introduction"
        shot(browser, "remote")
        tap(browser, "#pause")
        wait(browser, lambda d: js(d, "return document.body.dataset.paused") == "false", "resumed")
        wait(browser, lambda d: text(d, "exercise") == "Tiny stretch", "the exercise, kneeling")
        tap(browser, "#safety-stop")
        wait(browser, lambda d: js(d, "return document.body.dataset.state") == "exit", "the guided exit on the remote")
        exit_lines = js(browser, "return [...document.querySelectorAll('#exit-steps li')].map(li => li.textContent)")
        # Two sentences of the exit heard, then the button again skips the rest (as s twice does).
        wait(browser, lambda d: text(d, "exit-now") == spoken_exit("kneeling")[1], "the exit being spoken")
        tap(browser, "#safety-stop")
        out, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 0, (out, err)
    assert exit_lines == list(spoken_exit("kneeling"))
    assert "Safety stop: coming out of the position." in out
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT mode, outcome FROM sessions").fetchall() == [("play", "safety-stop")]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    spoken = [e for e in entries if e["text"] == safety]
    # Paused mid-sentence, resumed from the sentence's start: it was played twice, at the same place in
    # the session (paused time is not session time).
    assert len(spoken) == 2 and spoken[0]["scheduled_ms"] == spoken[1]["scheduled_ms"], entries
    # And the device got that sentence's sound twice, sample for sample as exported.
    timeline = preview_timeline(resolve(str(script)), CompileOptions(verbosity="minimal"), VoiceChoice("espeak"),
                                tmp_path / "cache")
    segment = next(s for s in sound_segments(timeline) if any(c.text == safety for c in s.cues))
    with wave.open(str(tmp_path / "tiny.wav")) as w:
        mix = w.readframes(w.getnframes())
    sentence = mix[ms_to_samples(segment.start_ms) * 2: ms_to_samples(segment.start_ms) * 2 + 8000]
    captured = read_capture(raw).tobytes()
    assert captured.count(sentence) == 2
