/*
 * Staff console (/staff), the shared part: log in, the connection, alerts, and the seam the console's parts
 * use (window.RathausStaff). The parts are separate scripts that staff.html loads after this one, without a
 * bundler: staff-desk.js (conversations handed over by the assistant), staff-callbacks.js (callback
 * requests), staff-recordings.js (correcting the subtitles of recorded meetings). Each registers what it
 * handles here; the console starts on DOMContentLoaded, after every deferred script has run.
 *
 * Logs in with a personal account (POST /api/staff/login gives a ticket, then /ws/staff?ticket=...) or,
 * where the gateway has only the shared token, opens /ws/staff?token=...&name=...; then speaks the staff
 * protocol of docs/protocol.md: frames are handed to the part that registered their type. Ticket or token
 * (from the form or ?token=, removed from the address bar at once) are kept only in sessionStorage of this
 * tab; HTTP APIs get them as "Authorization: Bearer". Untrusted text is inserted with textContent only.
 *
 * A new request plays a short tone (Web Audio, made here, no file; muted with the checkbox "Ton bei neuer
 * Anfrage", remembered in localStorage) and puts "Neue Anfrage" into the tab title until staff look at the
 * tab. Browsers allow sound only after a click or key press in the page: until then the console says so
 * instead of failing silently.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const KEY = "rathaus.staff.login";
  const SOUND_KEY = "rathaus.staff.sound";
  const BASE_TITLE = document.title;
  const els = {
    login: $("login"), token: $("token"), name: $("staff-name"), loginError: $("login-error"),
    loginAccount: $("login-account"), loginToken: $("login-token"), account: $("account-login"),
    password: $("account-password"),
    console: $("console"), sessionBox: $("session-box"), whoami: $("whoami"), logout: $("logout"),
    status: $("conn-status"), sound: $("sound"), soundHint: $("sound-hint"),
  };

  const state = {
    token: null, name: "", ticket: null, ws: null, retry: 0, retryTimer: null, accounts: false,
    unseen: 0, audio: null, muted: false,
  };
  const handlers = new Map(); // frame type -> function(frame)
  const hooks = { start: [], stop: [] };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    node.append(...children);
    return node;
  }

  function clock(ts) {
    const date = new Date(Number(ts || 0) * 1000);
    return date.toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
  }

  function since(ts) {
    const minutes = Math.max(0, Math.round((Date.now() / 1000 - Number(ts || 0)) / 60));
    return minutes < 1 ? "gerade eben" : minutes === 1 ? "seit 1 Minute" : `seit ${minutes} Minuten`;
  }

  // /{city}/staff on a gateway that serves several cities: that city's console and APIs (docs/cities.md)
  const base = () => location.pathname.replace(/\/staff\/?$/, "");

  // ------------------------------------------------------------------ alerts: tone and tab title
  try { state.muted = localStorage.getItem(SOUND_KEY) === "off"; } catch (_) { /* ignore */ }

  function renderSound() {
    els.sound.checked = !state.muted;
    if (state.muted) els.soundHint.hidden = true;
  }

  function unlockAudio() {
    // called from a click or key press: the only moment browsers let a page start sound
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx || state.muted) return;
    if (!state.audio) state.audio = new Ctx();
    if (state.audio.state === "suspended") state.audio.resume().catch(() => {});
    els.soundHint.hidden = true;
  }

  function tone() {
    if (state.muted) return;
    const ctx = state.audio;
    if (!ctx || ctx.state !== "running") {
      els.soundHint.textContent = "Der Ton ist noch gesperrt: Klicken Sie einmal in die Seite, dann hören Sie neue Anfragen.";
      els.soundHint.hidden = false;
      return;
    }
    const start = ctx.currentTime;
    for (const [offset, freq] of [[0, 880], [0.18, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.17);
    }
  }

  function renderTitle() {
    const waiting = api.waiting();
    const count = waiting ? `(${waiting}) ` : "";
    document.title = state.unseen ? `${count}Neue Anfrage – ${BASE_TITLE}` : `${count}${BASE_TITLE}`;
  }

  /** Something new for staff: counted in the tab title until they look, with a tone. */
  function alert(count) {
    state.unseen += count;
    renderTitle();
    tone();
  }

  function seen() {
    if (!state.unseen || document.visibilityState === "hidden") return;
    state.unseen = 0;
    renderTitle();
  }

  els.sound.addEventListener("change", () => {
    state.muted = !els.sound.checked;
    try { localStorage.setItem(SOUND_KEY, state.muted ? "off" : "on"); } catch (_) { /* ignore */ }
    renderSound();
    unlockAudio();
  });
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => { unlockAudio(); seen(); }, { capture: true });
  }
  window.addEventListener("focus", seen);
  document.addEventListener("visibilitychange", seen);
  renderSound();

  // ------------------------------------------------------------------ login
  function readLogin() {
    const params = new URLSearchParams(location.search);
    if (params.has("token")) {
      const login = { token: params.get("token"), name: params.get("name") || "" };
      // never leave the token in the address bar or the history
      history.replaceState(null, "", location.pathname);
      return login;
    }
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (_) { return null; }
  }

  function start(login) {
    state.token = login.token || null;
    state.ticket = login.ticket || null;
    state.name = login.name || "";
    try { sessionStorage.setItem(KEY, JSON.stringify(login)); } catch (_) { /* ignore */ }
    els.login.hidden = true;
    els.console.hidden = false;
    els.sessionBox.hidden = false;
    els.whoami.textContent = state.name ? `Angemeldet als ${state.name}` : "Angemeldet";
    connect();
    for (const hook of hooks.start) hook();
  }

  function stop(message) {
    clearTimeout(state.retryTimer);
    if (state.ws) { const ws = state.ws; state.ws = null; ws.close(1000); }
    try { sessionStorage.removeItem(KEY); } catch (_) { /* ignore */ }
    state.token = null;
    state.ticket = null;
    state.unseen = 0;
    for (const hook of hooks.stop) hook();
    renderTitle();
    els.console.hidden = true;
    els.sessionBox.hidden = true;
    els.login.hidden = false;
    els.loginError.textContent = message || "";
    els.status.textContent = message ? "" : "Abgemeldet.";
    els.token.value = "";
    els.password.value = "";
    (state.accounts ? els.account : els.token).focus();
  }

  // which login the gateway takes: personal accounts (preferred) or the shared token
  async function loginMethods() {
    try {
      const response = await fetch(base() + "/api/staff/login", { headers: { Accept: "application/json" } });
      const methods = await response.json();
      state.accounts = Boolean(methods.accounts);
    } catch (_) {
      state.accounts = false;
    }
    els.loginAccount.hidden = !state.accounts;
    els.loginToken.hidden = state.accounts;
  }

  async function accountLogin() {
    const login = els.account.value.trim();
    const password = els.password.value;
    if (!login || !password) {
      els.loginError.textContent = "Bitte geben Sie Benutzername und Passwort ein.";
      (login ? els.password : els.account).focus();
      return;
    }
    let body = null;
    let ok = false;
    try {
      const response = await fetch(base() + "/api/staff/login", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login, password }),
      });
      ok = response.ok;
      body = await response.json().catch(() => null);
    } catch (_) { /* shown below */ }
    els.password.value = "";
    if (!ok || !body || !body.ticket) {
      els.loginError.textContent = (body && body.message) || "Die Anmeldung ist gerade nicht möglich. Bitte versuchen Sie es gleich noch einmal.";
      els.password.focus();
      return;
    }
    start({ ticket: String(body.ticket), name: String(body.name || "") });
  }

  els.login.addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.accounts) {
      accountLogin();
      return;
    }
    const token = els.token.value.trim();
    if (!token) {
      els.loginError.textContent = "Bitte geben Sie den Zugangsschlüssel ein.";
      els.token.focus();
      return;
    }
    start({ token, name: els.name.value.trim() });
  });
  els.logout.addEventListener("click", () => stop(""));

  // ------------------------------------------------------------------ connection
  function connect() {
    const url = new URL(`${base()}/ws/staff`, location.href.replace(/^http/, "ws"));
    if (state.ticket) {
      url.searchParams.set("ticket", state.ticket); // the gateway knows the name from the account
    } else {
      url.searchParams.set("token", state.token);
      if (state.name) url.searchParams.set("name", state.name);
    }
    els.status.textContent = "Verbindung wird aufgebaut …";
    const ws = new WebSocket(url.href);
    state.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      state.retry = 0;
      els.status.textContent = "Verbunden. Neue Anfragen erscheinen automatisch.";
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let frame;
      try { frame = JSON.parse(event.data); } catch (_) { return; }
      if (!frame || typeof frame !== "object") return;
      const handler = handlers.get(frame.type);
      if (handler) handler(frame);
    });
    ws.addEventListener("close", () => {
      if (state.ws !== ws) return; // logged out
      state.ws = null;
      if (!opened && state.retry >= 1) {
        // refused twice before the upgrade: almost always a wrong token or an expired ticket (HTTP 401)
        stop(state.ticket ? "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich neu an."
          : "Anmeldung fehlgeschlagen. Bitte prüfen Sie den Zugangsschlüssel.");
        return;
      }
      state.retry += 1;
      els.status.textContent = "Verbindung unterbrochen – wird wiederhergestellt …";
      state.retryTimer = setTimeout(connect, 250 + Math.random() * Math.min(10000, 500 * 2 ** state.retry));
    });
  }

  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify({ v: 1, ...frame }));
      return true;
    }
    els.status.textContent = "Nicht verbunden – bitte einen Moment warten.";
    return false;
  }

  // ------------------------------------------------------------------ the seam of the console's parts
  const api = {
    $, el, clock, since, base, send, alert, renderTitle, stop,
    /** The name staff act under ("" when anonymous with the shared token). */
    name: () => state.name,
    /** How many citizens wait (the part that knows replaces it): counted in the tab title. */
    waiting: () => 0,
    status: (text) => { els.status.textContent = text; },
    statusText: () => els.status.textContent,
    /** Register the handler of one staff frame type (staff.queue, staff.callbacks, error ...). */
    on: (type, handler) => { handlers.set(type, handler); },
    onStart: (hook) => { hooks.start.push(hook); },
    onStop: (hook) => { hooks.stop.push(hook); },
    /** Headers of the staff HTTP APIs: the ticket, or the shared token with the typed name. */
    authHeaders: () => (state.ticket ? { Authorization: `Bearer ${state.ticket}` }
      : { Authorization: `Bearer ${state.token}`, "X-Staff-Name": encodeURIComponent(state.name || "") }),
  };
  window.RathausStaff = api;

  document.addEventListener("DOMContentLoaded", () => {
    loginMethods().then(() => {
      const login = readLogin();
      if (login && (login.token || login.ticket)) start(login);
    });
  });
})();
