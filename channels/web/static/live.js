/*
 * Live subtitle viewer for /live/{stream}.
 * Connects to /ws/subtitles/{stream}, shows captions over the video and the whole transcript in a log
 * beside it (sentences and paragraphs, searchable: transcript.js); reconnects with ?since=<last cue id> so no cue is missed. Which caption lines are on screen
 * when is decided by the scheduler in captions.js (reading times, roll-up or pop-on); this shell feeds it
 * frames and a clock, and renders its view.
 * Viewer preferences (mode, font size, contrast, position, partial text) are kept in localStorage.
 * Untrusted text is only inserted with textContent.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const PREFS_KEY = "rathaus.live.prefs";
  const TICK_MS = 100; // how often the caption view is brought up to date
  const { createScheduler } = window.RathausCaptions;
  const { createView } = window.RathausTranscript;

  // the stream id rule of channels/streams.py (STREAM_ID_PATTERN)
  const match = /^\/live\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/?$/.exec(location.pathname);
  const stream = match ? match[1] : "demo";

  const els = {
    status: $("status-text"),
    player: $("player"),
    video: $("video"),
    noVideo: $("no-video"),
    noVideoDetail: $("no-video-detail"),
    overlay: $("overlay"),
    overlayText: $("overlay-text"),
    below: $("below"),
    belowText: $("below-text"),
    transcript: $("mitschrift"),
    empty: $("transcript-empty"),
    partial: $("partial"),
    partialText: $("partial-text"),
    size: $("font-size"),
    mode: $("mode"),
    videoToggle: $("captions-only"),
    position: $("position"),
    contrast: $("contrast"),
    partials: $("partials"),
    city: $("city-name"),
  };

  const state = {
    lastId: null,
    lastSeq: -1,
    seen: new Set(),
    ws: null,
    failures: 0,
    ended: false,
    offset: Infinity, // captions only: wall clock minus stream time, from the most live cue so far
    origin: null, // Unix seconds of stream time 0 (subtitle.stream "started"), for captions in the picture
    hls: null, // the hls.js player, where the browser has no native HLS
    playing: false, // the picture is shown (not "captions only")
    rendered: "",
    prefs: loadPrefs(),
  };
  state.sched = createScheduler({ mode: state.prefs.mode, partials: state.prefs.partials });
  // the transcript: cues joined into sentences and paragraphs, searchable (transcript.js)
  const transcript = createView({
    container: els.transcript,
    empty: els.empty,
    searchHost: $("transcript-search"),
  });

  // ------------------------------------------------------------------ preferences
  function loadPrefs() {
    const defaults = { mode: "rollup", size: "m", position: "bottom", contrast: false, partials: true, video: true };
    try {
      const stored = JSON.parse(window.localStorage.getItem(PREFS_KEY) || "{}");
      return { ...defaults, ...(stored && typeof stored === "object" ? stored : {}) };
    } catch (_) {
      return defaults;
    }
  }

  function savePrefs() {
    try { window.localStorage.setItem(PREFS_KEY, JSON.stringify(state.prefs)); } catch (_) { /* ignore */ }
  }

  function applyPrefs() {
    const p = state.prefs;
    const sizes = ["s", "m", "l", "xl"];
    const positions = ["bottom", "top", "below"];
    const modes = ["rollup", "popon"];
    if (!modes.includes(p.mode)) p.mode = "rollup";
    if (!sizes.includes(p.size)) p.size = "m";
    if (!positions.includes(p.position)) p.position = "bottom";
    els.size.value = p.size;
    els.mode.value = p.mode;
    els.position.value = p.position;
    els.contrast.setAttribute("aria-pressed", String(Boolean(p.contrast)));
    els.partials.checked = Boolean(p.partials);
    for (const s of sizes) document.body.classList.toggle(`size-${s}`, p.size === s);
    document.body.classList.toggle("high-contrast", Boolean(p.contrast));
    for (const pos of positions) els.player.classList.toggle(`pos-${pos}`, p.position === pos);
    els.below.hidden = p.position !== "below";
    els.overlay.hidden = p.position === "below";
    if (!p.partials) els.partial.hidden = true;
    for (const mode of modes) els.player.classList.toggle(`mode-${mode}`, p.mode === mode);
    state.sched.configure({ mode: p.mode, partials: Boolean(p.partials) });
  }

  els.size.addEventListener("change", () => { state.prefs.size = els.size.value; savePrefs(); applyPrefs(); });
  els.mode.addEventListener("change", () => { state.prefs.mode = els.mode.value; savePrefs(); applyPrefs(); });
  els.position.addEventListener("change", () => {
    state.prefs.position = els.position.value; savePrefs(); applyPrefs();
  });
  els.contrast.addEventListener("click", () => {
    state.prefs.contrast = !state.prefs.contrast; savePrefs(); applyPrefs();
  });
  els.partials.addEventListener("change", () => {
    state.prefs.partials = els.partials.checked; savePrefs(); applyPrefs();
  });
  $("controls").addEventListener("submit", (event) => event.preventDefault());

  // ------------------------------------------------------------------ captions
  function wallNow() {
    return performance.now() / 1000;
  }

  /** Wall-clock time (ms) of the frame in the picture, from EXT-X-PROGRAM-DATE-TIME; null if unknown. */
  function pictureDate() {
    if (state.hls) {
      if (state.hls.playingDate) return state.hls.playingDate.getTime();
      // hls.js leaves programDateTime unset on some playlists: read the fragment's own tag
      const level = state.hls.levels && state.hls.levels[Math.max(0, state.hls.currentLevel)];
      const t = els.video.currentTime;
      const frag = level && level.details
        && level.details.fragments.find((f) => t >= f.start && t < f.start + f.duration && f.rawProgramDateTime);
      const pdt = frag ? Date.parse(frag.rawProgramDateTime) : NaN;
      return Number.isFinite(pdt) ? pdt + (t - frag.start) * 1000 : null;
    }
    const start = typeof els.video.getStartDate === "function" ? els.video.getStartDate() : null;
    const ms = start ? start.getTime() : NaN;
    return Number.isFinite(ms) ? ms + els.video.currentTime * 1000 : null;
  }

  /** Whether captions follow the picture: video shown, its clock known, the stream's origin announced. */
  function synced() {
    return state.playing && state.origin !== null && pictureDate() !== null;
  }

  /** Stream time now: the picture's position with video, else the live edge estimated from the cues. */
  function streamNow() {
    if (synced()) return pictureDate() / 1000 - state.origin;
    return Number.isFinite(state.offset) ? wallNow() - state.offset : -Infinity;
  }

  function renderLines(target, view) {
    const rows = [];
    for (const line of view.lines) {
      const row = document.createElement("span");
      row.className = "cap-line";
      row.dataset.cue = line.key;
      row.textContent = line.text;
      rows.push(row);
    }
    for (const text of view.partial) {
      const row = document.createElement("span");
      row.className = "cap-line is-partial";
      row.textContent = text;
      rows.push(row);
    }
    target.replaceChildren(...rows);
    target.classList.toggle("is-partial", view.lines.length === 0 && view.partial.length > 0);
  }

  function render() {
    // Provisional text runs ahead of a delayed picture: over the video only finished cues, at their time.
    state.sched.configure({ partials: Boolean(state.prefs.partials) && !synced() });
    const view = state.sched.view(streamNow(), wallNow());
    const key = JSON.stringify(view);
    if (key === state.rendered) return;
    state.rendered = key;
    const empty = !view.lines.length && !view.partial.length;
    for (const target of [els.overlayText, els.belowText]) renderLines(target, view);
    els.overlay.classList.toggle("is-empty", empty);
    els.below.classList.toggle("is-empty", empty);
  }

  function addCue(cue) {
    const seq = Number(cue.seq);
    const key = cue.id ? `id:${cue.id}` : `seq:${seq}`;
    if (state.seen.has(key)) return;
    state.seen.add(key);
    if (cue.id) state.lastId = String(cue.id);
    const lines = (Array.isArray(cue.lines) ? cue.lines : []).map(String).filter(Boolean).slice(0, 2);
    const start = Number(cue.start) || 0;
    const end = Math.max(start, Number(cue.end) || 0);
    transcript.add({ start, end, lines });
    if (seq >= state.lastSeq) {
      state.lastSeq = seq;
      els.partial.hidden = true;
    }
    // captions only: the most live cue so far (smallest delay since its end) sets the stream clock
    state.offset = Math.min(state.offset, wallNow() - end);
    state.sched.cue(key, lines, start, end);
  }

  function showPartial(text) {
    if (!state.prefs.partials) return;
    const clean = String(text || "").trim();
    els.partialText.textContent = clean;
    els.partial.hidden = !clean;
    state.sched.partial(clean);
  }

  const STATUS = {
    connecting: "Verbindung wird aufgebaut …",
    waiting: "wartet auf Beginn",
    started: "läuft",
    ended: "beendet",
    error: "gestört – die Übertragung hat ein Problem",
    reconnecting: "Verbindung unterbrochen – wird wiederhergestellt …",
  };

  function setStatus(key) {
    els.status.textContent = STATUS[key] || key;
    document.body.dataset.stream = key;
  }

  function handle(frame) {
    if (!frame || typeof frame !== "object" || (frame.stream && frame.stream !== stream)) return;
    if (frame.type === "subtitle.cue") {
      addCue(frame);
      if (!state.ended) setStatus("started");
    } else if (frame.type === "subtitle.partial") {
      showPartial(frame.text);
    } else if (frame.type === "subtitle.stream") {
      if (frame.state === "started") {
        state.ended = false;
        state.offset = Infinity; // a new session starts its stream time at zero
        state.origin = Number.isFinite(Number(frame.origin)) && frame.origin !== null ? Number(frame.origin) : null;
        setStatus("started");
      }
      else if (frame.state === "ended") {
        state.ended = true;
        setStatus("ended");
        els.partial.hidden = true;
        state.sched.partial("");
      } else if (frame.state === "error") setStatus("error");
    }
  }

  // ------------------------------------------------------------------ connection
  let config = {};

  function subtitlesPath() {
    const ws = config.ws || config.ws_paths || {};
    const template = (typeof ws === "object" && ws.subtitles) || "/ws/subtitles/{stream}";
    return template.includes("{stream}") ? template.replace("{stream}", encodeURIComponent(stream))
      : `${template.replace(/\/$/, "")}/${encodeURIComponent(stream)}`;
  }

  function connect() {
    const url = new URL(subtitlesPath(), location.href.replace(/^http/, "ws"));
    if (state.lastId) url.searchParams.set("since", state.lastId);
    let ws;
    try { ws = new WebSocket(url.href); } catch (_) { scheduleReconnect(); return; }
    state.ws = ws;
    ws.addEventListener("open", () => {
      state.failures = 0;
      if (!state.ended && els.status.textContent !== STATUS.started) setStatus("waiting");
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      try { handle(JSON.parse(event.data)); } catch (_) { /* ignore malformed frames */ }
    });
    ws.addEventListener("close", () => {
      if (state.ws === ws) state.ws = null;
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    state.failures += 1;
    if (!state.ended) setStatus("reconnecting");
    // Full jitter: after a gateway restart all viewers lose the socket at once; random delays spread
    // their reconnects (and history reads) instead of re-creating the storm every 2^n seconds.
    const ceiling = Math.min(15000, 1000 * 2 ** Math.min(state.failures - 1, 4));
    setTimeout(connect, 250 + Math.random() * ceiling);
  }

  // ------------------------------------------------------------------ video
  function hlsUrl() {
    const hls = (config.live && config.live.hls_url) || config.hls_url;
    const raw = hls ? String(hls).replace("{stream}", encodeURIComponent(stream)) : "";
    try {
      const parsed = new URL(raw, location.href);
      if (raw && (parsed.protocol === "https:" || parsed.protocol === "http:")) return parsed.href;
    } catch (_) { /* not a URL */ }
    return null;
  }

  function nativeHls(video) {
    return Boolean(video.canPlayType("application/vnd.apple.mpegurl") || video.canPlayType("application/x-mpegURL"));
  }

  function stopVideo() {
    if (state.hls) { state.hls.destroy(); state.hls = null; }
    els.video.pause();
    els.video.removeAttribute("src");
    els.video.load();
    els.video.hidden = true;
    els.noVideo.hidden = false;
    els.player.classList.remove("has-video");
    state.playing = false;
  }

  function setupVideo() {
    const url = hlsUrl();
    els.videoToggle.hidden = !url;
    if (!url) return; // placeholder "Kein Video — nur Untertitel" stays
    if (!state.prefs.video) {
      stopVideo();
      els.noVideoDetail.textContent = "Sie haben „Nur Untertitel“ gewählt. Die Untertitel und die Mitschrift " +
        "erscheinen live.";
      return;
    }
    const video = els.video;
    // hls.js first where MSE works: it exposes the picture's program date time, which Chromium's own HLS
    // playback does not (no getStartDate()); native HLS for browsers without MSE (Safari on iPhone)
    if (window.Hls && window.Hls.isSupported()) {
      // no worker: the page's CSP allows scripts from our origin only, not blob: workers. The picture stays
      // hls_delay_s behind the live edge, so a cue is there before the picture reaches its words.
      const delay = Number(config.live && config.live.hls_delay_s);
      state.hls = new window.Hls({ enableWorker: false, liveSyncDuration: Number.isFinite(delay) ? delay : 15 });
      state.hls.loadSource(url);
      state.hls.attachMedia(video);
    } else if (nativeHls(video)) {
      video.src = url;
    } else {
      els.noVideoDetail.textContent = "Ihr Browser kann diesen Videostream nicht abspielen. " +
        "Die Untertitel und die Mitschrift erscheinen trotzdem live. Adresse des Videostreams: ";
      const link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      els.noVideoDetail.append(link);
      return;
    }
    video.hidden = false;
    els.noVideo.hidden = true;
    els.player.classList.add("has-video");
    state.playing = true;
  }

  function applyVideoPref() {
    els.videoToggle.setAttribute("aria-pressed", String(!state.prefs.video));
  }

  els.videoToggle.addEventListener("click", () => {
    state.prefs.video = !state.prefs.video;
    savePrefs();
    applyVideoPref();
    setupVideo();
  });

  // A read-only seam for diagnostics and the browser tests: the stream time the captions follow, and the
  // program date time (ms) of the frame in the picture.
  window.RathausLive = Object.freeze({ streamTime: streamNow, pictureDate, synced });

  // ------------------------------------------------------------------ start
  // /{city}/live/{stream} on a gateway that serves several cities: that city's paths (docs/cities.md)
  const cityBase = location.pathname.slice(0, Math.max(0, location.pathname.indexOf("/live/")));
  const base = `${cityBase}/live/${encodeURIComponent(stream)}/transcript`;
  $("dl-vtt").href = `${base}.vtt`;
  $("dl-srt").href = `${base}.srt`;
  $("dl-txt").href = `${base}.txt`;
  applyPrefs();
  setStatus("connecting");
  setInterval(render, TICK_MS);
  render();

  fetch(`${cityBase}/api/config`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}))
    .then((cfg) => {
      config = cfg || {};
      const city = config.city && typeof config.city === "object" ? config.city.name : config.city_name;
      if (city) {
        els.city.textContent = String(city);
        document.title = `Live-Übertragung mit Untertiteln – ${city}`;
      }
      applyVideoPref();
      setupVideo();
      connect();
    });
})();
