/*
 * The archive of recorded meetings (recordings.html): at /aufzeichnungen/ the list of recordings, at
 * /aufzeichnungen/{id} a recording with its video, the subtitles as <track kind="subtitles" srclang="de">, the transcript (transcript.js: read the
 * track's cues, join them into sentences, search; a time stamp seeks the video) and downloads.
 * Reads /api/recordings. Untrusted text only goes into textContent.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);

  function germanDate(iso) {
    const [y, m, d] = String(iso).split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("de-DE", {
      day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
    });
  }

  /** "1 Std. 5 Min." / "12 Min." / "45 Sek." and the ISO 8601 duration for <time datetime>. */
  function duration(seconds) {
    const s = Math.round(Number(seconds) || 0);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const text = h ? `${h} Std. ${m} Min.` : m ? `${m} Min.` : `${s} Sek.`;
    return { text, iso: `PT${h ? `${h}H` : ""}${m}M${s % 60}S` };
  }

  function meta(recording) {
    const fragment = document.createDocumentFragment();
    const date = document.createElement("time");
    date.dateTime = recording.date;
    date.textContent = germanDate(recording.date);
    fragment.append(date);
    if (recording.duration_s) {
      const length = duration(recording.duration_s);
      const time = document.createElement("time");
      time.dateTime = length.iso;
      time.textContent = length.text;
      fragment.append(" · Dauer: ", time);
    }
    return fragment;
  }

  async function recordings() {
    const response = await fetch("/api/recordings", { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // ------------------------------------------------------------------ the list
  async function showList() {
    const list = $("recordings");
    const status = $("recordings-status");
    let items;
    try {
      items = await recordings();
    } catch (_) {
      status.textContent = "Die Aufzeichnungen können gerade nicht geladen werden. Bitte versuchen Sie es später.";
      return;
    }
    status.textContent = items.length ? "" : "Noch keine Aufzeichnungen.";
    for (const recording of items) {
      const item = document.createElement("li");
      item.className = "recording-item";
      const heading = document.createElement("h2");
      const link = document.createElement("a");
      link.href = recording.page;
      link.textContent = recording.title;
      heading.append(link);
      const info = document.createElement("p");
      info.className = "recording-meta";
      info.append(meta(recording));
      item.append(heading, info);
      if (recording.description) {
        const description = document.createElement("p");
        description.textContent = recording.description;
        item.append(description);
      }
      list.append(item);
    }
  }

  // ------------------------------------------------------------------ one recording
  async function showRecording(id) {
    $("listing").hidden = true;
    $("recording").hidden = false;
    const status = $("recording-status");
    let recording;
    try {
      recording = (await recordings()).find((r) => r.id === id);
    } catch (_) { /* below */ }
    if (!recording) {
      status.textContent = "Diese Aufzeichnung kann gerade nicht geladen werden.";
      return;
    }
    document.title = `${recording.title} – Aufzeichnung mit Untertiteln`;
    $("recording-title").textContent = recording.title;
    $("recording-meta").append(meta(recording));
    $("dl-vtt").href = recording.vtt;
    $("dl-srt").href = recording.srt;
    $("dl-video").href = recording.video;

    const video = $("video");
    const source = document.createElement("source");
    source.src = recording.video;
    source.type = recording.video_type;
    const track = document.createElement("track");
    track.kind = "subtitles";
    track.srclang = "de";
    track.label = "Deutsch";
    track.src = recording.vtt;
    track.default = true;
    video.append(source, track);

    const view = window.RathausTranscript.createView({
      container: $("mitschrift"),
      empty: $("transcript-empty"),
      searchHost: $("transcript-search"),
      seek: (seconds) => {
        video.currentTime = seconds;
        video.focus();
      },
    });
    const cues = () => Array.from((track.track && track.track.cues) || []).map((cue) => ({
      start: cue.startTime, end: cue.endTime, text: cue.text,
    }));
    track.addEventListener("load", () => view.setAll(cues()));
    track.addEventListener("error", () => {
      $("transcript-empty").textContent = "Die Untertitel dieser Aufzeichnung können nicht geladen werden.";
    });
    video.load();
  }

  const match = /^\/aufzeichnungen\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/?$/.exec(location.pathname);
  fetch("/api/config", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}))
    .then((config) => {
      const city = config && config.city && typeof config.city === "object" ? config.city.name : null;
      if (city) $("city-name").textContent = String(city);
    });
  if (match) showRecording(match[1]);
  else showList();
})();
