// coach on the phone: the library, the player that follows its audio, the safety stop, the remote.
// Every text from the server is set with textContent (never as HTML): a title is only ever text.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="coach-csrf"]').content;
  const pageKind = document.querySelector('meta[name="coach-page"]').content;
  const audio = $("audio");
  const SECTIONS = ["library", "screening", "player", "exit", "done"];
  // What to do now, for a step that is a sentence (a timed step says it itself: Hold, Get ready...).
  const DOING = { intro: "Listen", announce: "Next exercise", setup: "Get into position", safety: "Safety first",
    instruction: "Follow the words", "switch-sides": "Switch sides", rest: "Rest", outro: "Finishing" };
  // The session on this page: {id, view, audioUrl, baseMs, kind: "routine" | "exit", ended}.
  let session = null;
  let wakeLock = null;
  let lastChapter = null;

  async function api(method, path, body) {
    const init = { method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") {
      init.headers["X-Coach-CSRF"] = csrf;
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    const reply = await fetch(path, init);
    const isJson = (reply.headers.get("content-type") || "").includes("json");
    const data = isJson ? await reply.json() : { error: await reply.text() };
    if (!reply.ok) {
      const error = new Error(data.error || reply.statusText);
      error.status = reply.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function show(state) {
    document.body.dataset.state = state;
    for (const name of SECTIONS) $(name).hidden = name !== state;
    window.scrollTo(0, 0);
  }

  function message(text) {
    $("message").textContent = text || "";
    $("message").hidden = !text;
  }

  function mmss(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function lengthWords(ms) {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  }

  function indexAt(items, positionMs) {
    let found = -1;
    for (let i = 0; i < items.length && items[i].start_ms <= positionMs; i++) found = i;
    return found;
  }

  // -- the library --------------------------------------------------------------------------------
  async function loadLibrary() {
    const data = await api("GET", "/api/library");
    const list = $("routines");
    list.replaceChildren();
    for (const r of data.routines) list.append(routineCard(r));
  }

  function routineCard(r) {
    const li = el("li", undefined, `routine ${r.verdict.status}`);
    li.dataset.id = r.id;
    const title = el("h3", r.title);
    li.append(title);
    if (r.verdict.status === "broken") {
      li.append(el("p", r.problem, "warning"));
      return li;
    }
    const minutes = (r.duration_ms / 60000).toFixed(r.duration_ms < 600000 ? 1 : 0);
    li.append(el("p", `${minutes} min · ${r.kind}${r.personal ? " · yours" : ""} · ${r.focus.join(", ")}`, "meta"));
    li.append(el("p", `Position: ${r.positions.join(", ")} · Equipment: ${r.equipment.join(", ")}`, "meta"));
    const button = el("button", "Play on this phone");
    button.type = "button";
    button.className = "play";
    if (r.verdict.status === "ruled-out") {
      li.append(el("p", r.verdict.message, "warning"));
      button.textContent = "My doctor approved it: play";
      button.addEventListener("click", () => play(r.id, true));
    } else if (r.verdict.status === "ask") {
      const n = r.verdict.conditions.length;
      li.append(el("p", `${n} health question${n === 1 ? "" : "s"} first.`, "warning"));
      button.textContent = "Answer the health questions";
      button.addEventListener("click", () => openScreening());
    } else {
      button.addEventListener("click", () => play(r.id, false));
    }
    li.append(button);
    return li;
  }

  // -- the screening ------------------------------------------------------------------------------
  async function openScreening() {
    const data = await api("GET", "/api/screening");
    const list = $("conditions");
    list.replaceChildren();
    for (const c of data.conditions) {
      const li = el("li");
      const label = el("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = c.id;
      box.checked = c.answer === true;
      label.append(box, el("span", c.label));
      li.append(label);
      list.append(li);
    }
    message("");
    show("screening");
  }

  async function saveScreening() {
    const answers = {};
    for (const box of $("conditions").querySelectorAll("input")) answers[box.name] = box.checked;
    await api("POST", "/api/screening", { answers });
    await loadLibrary();
    show("library");
  }

  // -- playing on this phone ----------------------------------------------------------------------
  async function play(id, cleared) {
    message("");
    let data;
    try {
      data = await api("POST", "/api/play", { routine: id, cleared });
    } catch (error) {
      if (error.status === 409) return openScreening();
      return message(error.message);
    }
    session = { id: data.session, view: data.view, audioUrl: data.audio, baseMs: 0, kind: "routine", ended: false };
    lastChapter = null;
    $("routine-title").textContent = data.view.title;
    if (data.notice) message(data.notice);
    show("player");
    startAudio(0);
    render();
  }

  // The stream goes through Media Source Extensions where the browser has them: a plain <audio src>
  // waits for 32 KB (4 s of sound) before it plays, and on a cold cache the first sentence is still
  // being synthesized then; fed by hand, the opening bell sounds as soon as its bytes arrive.
  const MSE = window.MediaSource && MediaSource.isTypeSupported("audio/mpeg");
  const AHEAD_S = 90;       // how much sound to hold ahead of the playhead (the buffer has a quota)
  let feeding = null;       // the AbortController of the stream being fed

  function startAudio(fromMs) {
    session.baseMs = fromMs;
    const url = `${session.audioUrl}?from_ms=${Math.round(fromMs)}`;
    document.body.dataset.audioUrl = url;
    if (feeding) feeding.abort();
    feeding = null;
    if (!MSE) audio.src = url;
    else feed(url);
    audio.play().catch((error) => {
      if (error.name !== "AbortError") message(`The browser did not start the sound (${error.message}): tap Pause, then Resume.`);
    });
  }

  function feed(url) {
    const media = new MediaSource();
    const controller = new AbortController();
    feeding = controller;
    audio.src = URL.createObjectURL(media);
    media.addEventListener("sourceopen", async () => {
      URL.revokeObjectURL(audio.src);
      const buffer = media.addSourceBuffer("audio/mpeg");
      const settled = () => new Promise((done) => (buffer.updating ? buffer.addEventListener("updateend", done, { once: true }) : done()));
      try {
        const reply = await fetch(url, { signal: controller.signal, credentials: "same-origin" });
        if (!reply.ok) throw new Error(await reply.text());
        const reader = reply.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          while (buffer.buffered.length && buffer.buffered.end(0) - audio.currentTime > AHEAD_S) {
            await new Promise((later) => audio.addEventListener("timeupdate", later, { once: true }));
            if (controller.signal.aborted) return;
          }
          if (buffer.buffered.length && audio.currentTime - buffer.buffered.start(0) > 60) {
            buffer.remove(buffer.buffered.start(0), audio.currentTime - 30);
            await settled();
          }
          buffer.appendBuffer(value);
          await settled();
        }
        await settled();
        if (media.readyState === "open") media.endOfStream();
      } catch (error) {
        if (error.name !== "AbortError" && !controller.signal.aborted) message(`The sound stopped: ${error.message}`);
      }
    }, { once: true });
  }

  // Where the session is: the audio's own clock against the timeline (the stream starts at baseMs).
  function positionMs() {
    if (!session) return 0;
    return session.baseMs + Math.max(0, audio.currentTime * 1000 - session.view.delay_ms);
  }

  function pause() {
    if (!session || session.ended) return;
    audio.pause();
  }

  function resume() {
    if (!session || session.ended) return;
    audio.play().catch((error) => message(error.message));
  }

  function togglePause() {
    if (audio.paused) resume(); else pause();
  }

  // next (+1) and repeat (0): by step, as the n and p keys do; the stream starts again there.
  function jump(direction) {
    if (!session || session.ended || session.kind !== "routine") return;
    const steps = session.view.steps;
    const i = Math.max(0, indexAt(steps, positionMs()));
    const target = direction > 0 ? steps[i + 1] : steps[i];
    if (!target) return;
    startAudio(target.start_ms);
    render();
  }

  function render() {
    if (!session) return;
    const pos = positionMs();
    const view = session.view;
    document.body.dataset.positionMs = String(Math.round(pos));
    if (session.kind === "exit") return renderExit(pos);
    const steps = view.steps;
    const i = Math.max(0, indexAt(steps, pos));
    const step = steps[i];
    const next = steps[i + 1];
    $("exercise").textContent = step.chapter;
    $("now").textContent = step.span ? step.label : DOING[step.kind] || "Listen";
    const c = indexAt(view.captions, pos);
    $("caption").textContent = c >= 0 && pos < view.captions[c].end_ms + 4000 ? view.captions[c].text : "";
    $("step-left").textContent = step.span ? mmss(step.end_ms - pos) : "–";
    $("session-left").textContent = mmss(view.duration_ms - pos);
    if (!next) $("next").textContent = "Last step";
    else if (next.chapter === step.chapter) $("next").textContent = `Then: ${next.span ? `${next.label} ${lengthWords(next.end_ms - next.start_ms)}` : next.label}`;
    else $("next").textContent = `Next up: ${next.chapter}`;
    document.body.dataset.step = String(i);
    $("pause").textContent = audio.paused ? "Resume" : "Pause";
    if (step.chapter !== lastChapter) {
      lastChapter = step.chapter;
      setMetadata(step.chapter, view.title);
    }
  }

  function renderExit(pos) {
    const items = $("exit-steps").children;
    const c = indexAt(session.view.captions, pos);
    for (let k = 0; k < items.length; k++) items[k].classList.toggle("current", k === c);
    $("exit-now").textContent = c >= 0 ? session.view.captions[c].text : "Stopping now.";
  }

  async function finished() {
    if (!session || session.ended) return;
    if (session.kind === "exit") return;   // the exit's last words stay on the screen
    session.ended = true;
    await api("POST", `/api/sessions/${session.id}/end`, { outcome: "completed" }).catch(() => {});
    $("done-text").textContent = `${session.view.title}: done. It is in your history.`;
    releaseWakeLock();
    show("done");
  }

  async function leave() {
    if (session && !session.ended && session.kind === "routine") {
      session.ended = true;
      audio.pause();
      await api("POST", `/api/sessions/${session.id}/end`, { outcome: "quit" }).catch(() => {});
    }
    if (feeding) feeding.abort();
    feeding = null;
    audio.removeAttribute("src");
    audio.load();
    session = null;
    releaseWakeLock();
    await loadLibrary();
    show("library");
  }

  // -- the safety stop ----------------------------------------------------------------------------
  async function safetyStop() {
    audio.pause();   // at once: before anything is asked of the server
    if (pageKind === "remote") return remoteCommand("safety-stop");
    if (session && session.kind === "exit") return;   // pressed again during the exit: its sound stops, the words stay
    let data;
    if (session && !session.ended && session.kind === "routine") {
      session.ended = true;
      data = await api("POST", `/api/sessions/${session.id}/safety-stop`, { position_ms: positionMs() });
    } else {
      data = await api("GET", "/api/safety");
    }
    showExit(data);
    if (data.audio) {
      session = { id: session.id, view: data.view, audioUrl: data.audio, baseMs: 0, kind: "exit", ended: true };
      startAudio(0);
    }
  }

  function showExit(data) {
    const steps = $("exit-steps");
    steps.replaceChildren(...data.view.captions.map((c) => el("li", c.text)));
    $("exit-now").textContent = "Stopping now.";
    $("urgent").textContent = data.urgent;
    $("see-a-doctor").replaceChildren(...data.see_a_doctor.map((s) => el("li", s)));
    setMetadata("Safety stop", "coach");
    show("exit");
  }

  // -- lock screen, headset buttons, screen awake -------------------------------------------------
  function setMetadata(title, artist) {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    navigator.mediaSession.metadata = new MediaMetadata({ title, artist, album: "coach",
      artwork: [{ src: "/static/icon.svg", sizes: "64x64", type: "image/svg+xml" }] });
  }

  function registerMediaKeys() {
    if (!("mediaSession" in navigator)) return;
    const handlers = {
      play: () => (pageKind === "remote" ? remoteCommand("resume") : resume()),
      pause: () => (pageKind === "remote" ? remoteCommand("pause") : pause()),
      nexttrack: () => (pageKind === "remote" ? remoteCommand("next") : jump(1)),
      previoustrack: () => (pageKind === "remote" ? remoteCommand("repeat") : jump(0)),
      stop: () => safetyStop(),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch (_) { /* not offered here */ }
    }
  }

  async function keepAwake() {
    if (!("wakeLock" in navigator) || wakeLock) return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => { wakeLock = null; });
    } catch (_) { /* refused (not a secure context, or battery saver): the screen may dim */ }
  }

  function releaseWakeLock() {
    if (wakeLock) wakeLock.release().catch(() => {});
    wakeLock = null;
  }

  // -- the remote: a coach play session on the computer -------------------------------------------
  async function remoteCommand(name) {
    try {
      await api("POST", "/api/remote/command", { command: name });
    } catch (error) {
      message(error.message);
    }
  }

  function remoteRender(state) {
    if (state.exit) {
      showExit({ view: { captions: state.exit.map((text) => ({ text })) }, urgent: state.urgent,
        see_a_doctor: state.see_a_doctor });
      $("exit-now").textContent = state.caption || "Stopping now.";
      return;
    }
    if (state.ended) {
      $("done-text").textContent = `${state.title}: ${state.ended}.`;
      return show("done");
    }
    show("player");
    $("routine-title").textContent = state.title ? `${state.title} · on the computer` : "";
    $("exercise").textContent = state.chapter || "";
    $("now").textContent = state.paused ? "Paused" : state.waiting ? "Waiting for the voice..."
      : state.span ? state.label : DOING[state.kind] || "Listen";
    $("caption").textContent = state.caption || "";
    $("step-left").textContent = state.step_left_ms == null ? "–" : mmss(state.step_left_ms);
    $("session-left").textContent = mmss(state.session_left_ms || 0);
    $("next").textContent = state.next ? `Next: ${state.next}` : "";
    $("pause").textContent = state.paused ? "Resume" : "Pause";
    document.body.dataset.paused = String(!!state.paused);
    if (state.chapter && state.chapter !== lastChapter) {
      lastChapter = state.chapter;
      setMetadata(state.chapter, state.title || "coach");
    }
  }

  function startRemote() {
    $("screening-open").hidden = true;
    $("back").hidden = true;
    show("player");
    $("now").textContent = "Waiting for the session...";
    const events = new EventSource("/api/remote/events");
    events.addEventListener("state", (e) => remoteRender(JSON.parse(e.data)));
    events.addEventListener("error", () => message("Lost the session on the computer; trying again..."));
    events.addEventListener("open", () => message(""));
  }

  // -- wiring -------------------------------------------------------------------------------------
  $("safety-stop").addEventListener("click", () => safetyStop().catch((e) => message(e.message)));
  $("pause").addEventListener("click", () => (pageKind === "remote" ? remoteCommand("toggle-pause") : togglePause()));
  $("next-step").addEventListener("click", () => (pageKind === "remote" ? remoteCommand("next") : jump(1)));
  $("repeat").addEventListener("click", () => (pageKind === "remote" ? remoteCommand("repeat") : jump(0)));
  $("back").addEventListener("click", () => leave());
  $("exit-back").addEventListener("click", () => leave());
  $("done-back").addEventListener("click", () => leave());
  $("screening-open").addEventListener("click", () => openScreening().catch((e) => message(e.message)));
  $("screening-save").addEventListener("click", () => saveScreening().catch((e) => message(e.message)));
  $("screening-cancel").addEventListener("click", () => show("library"));
  audio.addEventListener("ended", () => finished());
  audio.addEventListener("playing", () => {
    document.body.dataset.audio = "playing";
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = "playing";
    keepAwake();
  });
  audio.addEventListener("pause", () => {
    document.body.dataset.audio = "paused";
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = "paused";
    render();
  });
  audio.addEventListener("error", () => {
    if (session && audio.getAttribute("src")) message("The sound stopped: the server may have stopped. Back to the library and try again.");
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && session && !audio.paused) keepAwake();
  });
  setInterval(() => { if (pageKind !== "remote") render(); }, 200);
  registerMediaKeys();
  if (pageKind === "remote") startRemote();
  else loadLibrary().then(() => show("library")).catch((e) => message(e.message));
})();
