// The remote: a coach play session on the computer, shown from its events (server-sent) and steered
// with the same buttons, the lock screen's included.
import { $, DOING, api, message, mmss, registerMediaKeys, setMetadata, show, showExit } from "./common.js";

let lastChapter = null;

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

export function startRemote() {
  $("screening-open").hidden = true;
  $("back").hidden = true;
  show("player");
  $("now").textContent = "Waiting for the session...";
  const send = (name) => () => remoteCommand(name);
  $("safety-stop").addEventListener("click", send("safety-stop"));
  $("pause").addEventListener("click", send("toggle-pause"));
  $("next-step").addEventListener("click", send("next"));
  $("repeat").addEventListener("click", send("repeat"));
  registerMediaKeys({ play: send("resume"), pause: send("pause"), nexttrack: send("next"), previoustrack: send("repeat"),
    stop: send("safety-stop") });
  const events = new EventSource("/api/remote/events");
  events.addEventListener("state", (e) => remoteRender(JSON.parse(e.data)));
  events.addEventListener("error", () => message("Lost the session on the computer; trying again..."));
  events.addEventListener("open", () => message(""));
}
