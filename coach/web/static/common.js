// What every page of coach shares: the server's API, small DOM helpers, the safety-stop exit view,
// the lock screen (Media Session) and the screen kept awake (Wake Lock).
// Every text from the server is set with textContent (never as HTML): a title is only ever text.
export const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="coach-csrf"]').content;
export const pageKind = document.querySelector('meta[name="coach-page"]').content;
const SECTIONS = ["library", "screening", "player", "exit", "done"];
// What to do now, for a step that is a sentence (a timed step says it itself: Hold, Get ready...).
export const DOING = { intro: "Listen", announce: "Next exercise", setup: "Get into position", safety: "Safety first",
  instruction: "Follow the words", "switch-sides": "Switch sides", rest: "Rest", outro: "Finishing" };
let wakeLock = null;

export async function api(method, path, body) {
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

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function show(state) {
  if (document.body.dataset.state !== state) window.scrollTo(0, 0);   // a new screen starts at its top
  document.body.dataset.state = state;
  for (const name of SECTIONS) $(name).hidden = name !== state;
}

export function message(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
}

export function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function lengthWords(ms) {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
}

export function indexAt(items, positionMs) {
  let found = -1;
  for (let i = 0; i < items.length && items[i].start_ms <= positionMs; i++) found = i;
  return found;
}

export function showExit(data) {
  const steps = $("exit-steps");
  steps.replaceChildren(...data.view.captions.map((c) => el("li", c.text)));
  $("exit-now").textContent = "Stopping now.";
  $("urgent").textContent = data.urgent;
  $("see-a-doctor").replaceChildren(...data.see_a_doctor.map((s) => el("li", s)));
  setMetadata("Safety stop", "coach");
  show("exit");
}
// -- lock screen, headset buttons, screen awake -------------------------------------------------
export function setMetadata(title, artist) {
  if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
  navigator.mediaSession.metadata = new MediaMetadata({ title, artist, album: "coach",
    artwork: [{ src: "/static/icon.svg", sizes: "64x64", type: "image/svg+xml" }] });
}
export function registerMediaKeys(handlers) {
  if (!("mediaSession" in navigator)) return;
  for (const [action, handler] of Object.entries(handlers)) {
    try { navigator.mediaSession.setActionHandler(action, handler); } catch (_) { /* not offered here */ }
  }
}

export async function keepAwake() {
  if (!("wakeLock" in navigator) || wakeLock) return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    wakeLock.addEventListener("release", () => { wakeLock = null; });
  } catch (_) { /* refused (not a secure context, or battery saver): the screen may dim */ }
}

export function releaseWakeLock() {
  if (wakeLock) wakeLock.release().catch(() => {});
  wakeLock = null;
}
