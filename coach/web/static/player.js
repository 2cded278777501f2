// The library, the health questions and the player on this phone: the page follows the audio
// against the routine's timeline; the safety stop plays the guided exit for where the person is.
import { $, DOING, api, el, indexAt, keepAwake, lengthWords, message, mmss, registerMediaKeys, releaseWakeLock,
  setMetadata, show, showExit } from "./common.js";
import { playStream, stopStream } from "./stream.js";

const audio = $("audio");
let session = null;   // {id, view, audioUrl, baseMs, kind: "routine" | "exit", ended}
let lastChapter = null;

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

function startAudio(fromMs) {
  session.baseMs = fromMs;
  const url = `${session.audioUrl}?from_ms=${Math.round(fromMs)}`;
  document.body.dataset.audioUrl = url;
  playStream(audio, url, message);
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
  stopStream();
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

export function startPlayer() {
  $("safety-stop").addEventListener("click", () => safetyStop().catch((e) => message(e.message)));
  $("pause").addEventListener("click", () => togglePause());
  $("next-step").addEventListener("click", () => jump(1));
  $("repeat").addEventListener("click", () => jump(0));
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
  setInterval(render, 200);
  registerMediaKeys({ play: resume, pause, nexttrack: () => jump(1), previoustrack: () => jump(0), stop: () => safetyStop() });
  loadLibrary().then(() => show("library")).catch((e) => message(e.message));
}
