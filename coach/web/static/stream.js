// The stream into the audio element. Through Media Source Extensions where the browser has them: a
// plain <audio src> waits for 32 KB (4 s of sound) before it plays, and on a cold cache the first
// sentence is still being synthesized then; fed by hand, the opening bell sounds as soon as its bytes
// arrive. Elsewhere, the plain src.
const MSE = window.MediaSource && MediaSource.isTypeSupported("audio/mpeg");
const AHEAD_S = 90;       // how much sound to hold ahead of the playhead (the buffer has a quota)
let feeding = null;       // the AbortController of the stream being fed

export function playStream(audio, url, onError) {
  stopStream();
  if (!MSE) audio.src = url;
  else feed(audio, url, onError);
  audio.play().catch((error) => {
    if (error.name !== "AbortError") onError(`The browser did not start the sound (${error.message}): tap Pause, then Resume.`);
  });
}

export function stopStream() {
  if (feeding) feeding.abort();
  feeding = null;
}

function feed(audio, url, onError) {
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
      if (error.name !== "AbortError" && !controller.signal.aborted) onError(`The sound stopped: ${error.message}`);
    }
  }, { once: true });
}
