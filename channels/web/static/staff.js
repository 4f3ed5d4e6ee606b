/*
 * Staff console for human hand-off (/staff). Logs in with a personal account (POST /api/staff/login gives a
 * ticket, then /ws/staff?ticket=...) or, where the gateway has only the shared token, opens
 * /ws/staff?token=...&name=...; then speaks the staff protocol of docs/protocol.md: staff.queue /
 * staff.update / staff.message / error in, staff.take / staff.send / staff.typing / staff.release out. Ticket or token (from
 * the form or ?token=, removed from the address bar at once) are kept only in sessionStorage of this tab.
 * Untrusted text is inserted with textContent only.
 *
 * Conversations are labelled by the citizen's first question, the time of the request and the language the
 * citizen wrote in; a waiting one counts down to its timeout (from the gateway's timeout_s, measured on this
 * tab's own clock, so a skewed clock does not matter). A new request plays a short tone (Web Audio, made
 * here, no file; muted with the checkbox "Ton bei neuer Anfrage", remembered in localStorage) and puts "Neue Anfrage" into
 * the tab title until staff look at the tab. Browsers allow sound only after a click or key press in the
 * page: until then the console says so instead of failing silently.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const KEY = "rathaus.staff.login";
  const els = {
    login: $("login"), token: $("token"), name: $("staff-name"), loginError: $("login-error"),
    loginAccount: $("login-account"), loginToken: $("login-token"), account: $("account-login"),
    password: $("account-password"),
    console: $("console"), sessionBox: $("session-box"), whoami: $("whoami"), logout: $("logout"),
    status: $("conn-status"), list: $("queue-list"), queueEmpty: $("queue-empty"),
    detailEmpty: $("detail-empty"), detailBody: $("detail-body"), detailTitle: $("detail-title"),
    meta: $("detail-meta"), history: $("history"), take: $("take"), release: $("release"),
    reply: $("reply"), replyText: $("reply-text"), replySend: $("reply-send"),
    callbackList: $("callback-list"), callbacksEmpty: $("callbacks-empty"), callbackTitle: $("callbacks-title"),
    sound: $("sound"), soundHint: $("sound-hint"), endDialog: $("end-dialog"), endSummary: $("end-summary"),
  };
  const SOUND_KEY = "rathaus.staff.sound";
  const BASE_TITLE = document.title;
  const LANGUAGES = { en: "Englisch", tr: "Türkisch", uk: "Ukrainisch", ru: "Russisch", ar: "Arabisch" };

  const state = {
    token: null, name: "", ws: null, conversations: new Map(), selected: null, mine: new Set(),
    retry: 0, retryTimer: null, authFailed: false, knownWaiting: new Set(),
    unseen: 0, audio: null, muted: false, ticket: null, accounts: false, callbacks: [], knownCallbacks: null, usedCallback: null,
  };

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
    const waiting = [...state.conversations.values()].filter((c) => c.status === "waiting").length;
    const count = waiting ? `(${waiting}) ` : "";
    document.title = state.unseen ? `${count}Neue Anfrage – ${BASE_TITLE}` : `${count}${BASE_TITLE}`;
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
    state.authFailed = false;
    try { sessionStorage.setItem(KEY, JSON.stringify(login)); } catch (_) { /* ignore */ }
    els.login.hidden = true;
    els.console.hidden = false;
    els.sessionBox.hidden = false;
    els.whoami.textContent = state.name ? `Angemeldet als ${state.name}` : "Angemeldet";
    connect();
  }

  function stop(message) {
    clearTimeout(state.retryTimer);
    if (state.ws) { const ws = state.ws; state.ws = null; ws.close(1000); }
    try { sessionStorage.removeItem(KEY); } catch (_) { /* ignore */ }
    state.token = null;
    state.ticket = null;
    state.conversations.clear();
    state.selected = null;
    state.unseen = 0;
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
      const response = await fetch(location.pathname.replace(/\/staff\/?$/, "") + "/api/staff/login", { headers: { Accept: "application/json" } });
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
      const response = await fetch(location.pathname.replace(/\/staff\/?$/, "") + "/api/staff/login", {
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
    // /{city}/staff on a gateway that serves several cities: that city's console (docs/cities.md)
    const base = location.pathname.replace(/\/staff\/?$/, "");
    const url = new URL(`${base}/ws/staff`, location.href.replace(/^http/, "ws"));
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
      handle(frame);
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

  const ERRORS = {
    already_taken: "Dieses Gespräch hat schon jemand anderes übernommen.",
    not_assigned: "Sie haben dieses Gespräch nicht übernommen.",
    unknown_session: "Dieses Gespräch gibt es nicht mehr.",
  };

  // The gateway sends the whole queue once (staff.queue), then one staff.update per changed conversation.
  function queueChanged() {
    const next = state.conversations;
    const waiting = [...next.values()].filter((c) => c.status === "waiting");
    const fresh = waiting.filter((c) => !state.knownWaiting.has(c.session));
    state.knownWaiting = new Set(waiting.map((c) => c.session));
    if (state.selected && !next.has(state.selected)) {
      state.mine.delete(state.selected);
      state.selected = null;
    }
    const selected = state.selected ? next.get(state.selected) : null;
    if (selected && isMine(selected) && els.status.textContent === "Gespräch wird übernommen …") {
      els.status.textContent = "Sie haben das Gespräch übernommen. Ihre Antworten sieht die Person sofort.";
    }
    if (fresh.length) {
      els.status.textContent = fresh.length === 1 ? "Eine neue Anfrage wartet." : `${fresh.length} neue Anfragen warten.`;
      state.unseen += fresh.length;
      tone();
    }
    renderTitle();
    renderList();
    renderDetail();
  }

  // waiting_since is the gateway's clock; the countdown runs on this tab's monotonic clock from timeout_s
  function setDeadline(conv, timeoutS) {
    conv.deadline = typeof timeoutS === "number" ? performance.now() + timeoutS * 1000 : null;
  }

  function applyUpdate(update) {
    const session = String(update.session);
    if (update.status === "ended" || update.status === "timeout") {
      state.conversations.delete(session); // left the queue
      return;
    }
    const known = state.conversations.get(session);
    const conv = known || { session, history: [] };
    conv.status = update.status;
    conv.staff = update.staff;
    conv.waiting_since = update.waiting_since;
    conv.citizen_present = update.citizen_present !== false;
    setDeadline(conv, update.timeout_s);
    for (const m of update.history || []) { // only with a conversation new to the queue
      const key = messageKey(m);
      if (!conv.history.some((h) => messageKey(h) === key)) conv.history.push(m);
    }
    if (!known) state.conversations.set(session, conv);
  }

  function handle(frame) {
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "staff.queue") {
      const next = new Map();
      for (const c of frame.conversations || []) {
        if (!c || !c.session) continue;
        const conv = { ...c, history: [...(c.history || [])], citizen_present: c.citizen_present !== false };
        setDeadline(conv, c.timeout_s);
        next.set(String(c.session), conv);
      }
      state.conversations = next;
      queueChanged();
    } else if (frame.type === "staff.update") {
      if (!frame.session) return;
      applyUpdate(frame);
      queueChanged();
    } else if (frame.type === "staff.message") {
      const conv = state.conversations.get(String(frame.session));
      if (!conv || !frame.message) return;
      // the same event can arrive in a fresh staff.queue and as staff.message: show it once
      const key = messageKey(frame.message);
      if (conv.history.some((m) => messageKey(m) === key)) return;
      conv.history.push(frame.message);
      if (state.selected === conv.session) appendHistory(frame.message);
      renderList();
    } else if (frame.type === "staff.callbacks") {
      const list = Array.isArray(frame.callbacks) ? frame.callbacks : [];
      const open = list.filter((c) => c && c.state === "open").map((c) => String(c.id));
      if (state.knownCallbacks && open.some((id) => !state.knownCallbacks.has(id))) {
        els.status.textContent = "Eine neue Rückruf-Bitte ist da.";
        state.unseen += 1;
        renderTitle();
        tone();
      }
      state.knownCallbacks = new Set([...(state.knownCallbacks || []), ...list.map((c) => String(c.id))]);
      state.callbacks = list;
      renderCallbacks();
    } else if (frame.type === "error") {
      const text = ERRORS[frame.code] || String(frame.message || "Fehler.");
      if (frame.code === "already_taken" && state.selected) state.mine.delete(state.selected);
      els.status.textContent = text;
      renderDetail();
    }
  }

  // ------------------------------------------------------------------ rendering
  function messageKey(m) {
    return m && m.id ? `id:${m.id}` : `${m && m.type}:${m && m.status}:${m && m.ts}:${m && m.text}`;
  }

  function firstQuestion(conv) {
    const first = conv.history.find((m) => m && m.type === "chat.user" && String(m.text || "").trim());
    if (!first) return "Ohne Frage – direkt eine Person angefragt";
    const text = String(first.text).trim().replace(/\s+/g, " ");
    return text.length > 70 ? `${text.slice(0, 69)}…` : text;
  }

  function language(conv) {
    // the assistant marks replies to a question in another language (answers stay German)
    const marked = conv.history.find((m) => m && m.type === "chat.reply" && m.language);
    return marked ? LANGUAGES[marked.language] || String(marked.language) : "Deutsch";
  }

  function clock(ts) {
    const date = new Date(Number(ts || 0) * 1000);
    return date.toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
  }

  function countdown(conv) {
    if (conv.status !== "waiting" || conv.deadline == null) return "";
    const left = Math.max(0, Math.ceil((conv.deadline - performance.now()) / 1000));
    const mm = Math.floor(left / 60);
    const ss = String(left % 60).padStart(2, "0");
    return left > 0 ? `Zeitablauf in ${mm}:${ss}` : "Zeit abgelaufen";
  }

  function urgent(conv) {
    return conv.status === "waiting" && conv.deadline != null && conv.deadline - performance.now() < 30000;
  }

  function presence(conv) {
    return conv.citizen_present === false ? "Bürger hat das Gespräch verlassen" : "";
  }

  function since(ts) {
    const minutes = Math.max(0, Math.round((Date.now() / 1000 - Number(ts || 0)) / 60));
    return minutes < 1 ? "gerade eben" : minutes === 1 ? "seit 1 Minute" : `seit ${minutes} Minuten`;
  }

  function preview(conv) {
    const users = conv.history.filter((m) => m && m.type === "chat.user");
    const last = users[users.length - 1];
    return last ? String(last.text || "") : "(noch keine Nachricht)";
  }

  function isMine(conv) {
    // the gateway names anonymous staff "Mitarbeiter" (see /ws/staff in docs/protocol.md)
    return conv.status === "active" && (state.mine.has(conv.session) || conv.staff === (state.name || "Mitarbeiter"));
  }

  function statusLabel(conv) {
    if (conv.status === "waiting") return "wartet";
    if (conv.status === "active") return isMine(conv) ? "von Ihnen übernommen" : `übernommen von ${conv.staff || "jemand anderem"}`;
    return conv.status === "timeout" ? "abgelaufen" : "beendet";
  }

  function renderList() {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.session : null;
    els.list.replaceChildren();
    const conversations = [...state.conversations.values()].sort((a, b) => a.waiting_since - b.waiting_since);
    els.queueEmpty.hidden = conversations.length > 0;
    for (const conv of conversations) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = `conv conv--${conv.status}`;
      btn.dataset.session = conv.session;
      if (state.selected === conv.session) btn.setAttribute("aria-current", "true");
      const head = document.createElement("span");
      head.className = "conv-head";
      head.textContent = firstQuestion(conv);
      const meta = document.createElement("span");
      meta.className = "conv-meta";
      meta.textContent = `${clock(conv.waiting_since)} Uhr · ${language(conv)} · ${statusLabel(conv)} · ${since(conv.waiting_since)}`;
      btn.append(head, meta);
      const timer = document.createElement("span");
      timer.className = "conv-countdown";
      timer.textContent = countdown(conv);
      timer.hidden = !timer.textContent;
      timer.classList.toggle("conv-countdown--urgent", urgent(conv));
      btn.append(timer);
      if (presence(conv)) {
        const gone = document.createElement("span");
        gone.className = "conv-left";
        gone.textContent = presence(conv);
        btn.append(gone);
        btn.classList.add("conv--left");
      }
      const last = preview(conv);
      if (last !== firstQuestion(conv)) {
        const text = document.createElement("span");
        text.className = "conv-preview";
        text.textContent = `Zuletzt: ${last}`;
        btn.append(text);
      }
      btn.addEventListener("click", () => select(conv.session));
      const li = document.createElement("li");
      li.append(btn);
      els.list.append(li);
      if (focused === conv.session) btn.focus();
    }
  }

  function who(message) {
    if (message.type === "chat.user") return ["Bürgerin/Bürger", "citizen"];
    if (message.type === "chat.status") return ["Hinweis", "system"];
    if (message.sender === "staff") return ["Mitarbeiterin/Mitarbeiter der Stadt", "staff"];
    if (message.sender === "system") return ["Hinweis", "system"];
    return ["KI-Assistent", "bot"];
  }

  function appendHistory(message) {
    const [label, kind] = who(message);
    const row = document.createElement("div");
    row.className = `hmsg hmsg--${kind}`;
    const sender = document.createElement("p");
    sender.className = "hmsg-sender";
    sender.textContent = label;
    const text = document.createElement("p");
    text.className = "hmsg-text";
    text.textContent = String(message.text || "");
    row.append(sender, text);
    els.history.append(row);
    els.history.scrollTop = els.history.scrollHeight;
  }

  function renderDetail() {
    const conv = state.selected ? state.conversations.get(state.selected) : null;
    els.detailEmpty.hidden = Boolean(conv);
    els.detailBody.hidden = !conv;
    if (!conv) {
      els.detailTitle.textContent = "Gespräch";
      return;
    }
    els.detailTitle.textContent = `Gespräch: ${firstQuestion(conv)}`;
    els.meta.textContent = detailMeta(conv);
    if (els.history.dataset.session !== conv.session || els.history.childElementCount !== conv.history.length) {
      els.history.dataset.session = conv.session;
      els.history.replaceChildren();
      for (const m of conv.history) appendHistory(m);
    }
    const mine = isMine(conv);
    els.take.hidden = conv.status !== "waiting";
    els.release.hidden = !mine;
    els.reply.hidden = !mine;
  }

  function detailMeta(conv) {
    return [
      `Status: ${statusLabel(conv)}`,
      `angefragt um ${clock(conv.waiting_since)} Uhr (${since(conv.waiting_since)})`,
      `Sprache: ${language(conv)}`,
      countdown(conv),
      presence(conv),
    ].filter(Boolean).join(" · ");
  }

  function contactLink(contact) {
    const text = String(contact || "");
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return el("a", { href: `mailto:${text}` }, text);
    const digits = text.replace(/[^\d+]/g, "");
    if (digits.length >= 5 && /^[\d\s+()\/-]+$/.test(text)) return el("a", { href: `tel:${digits}` }, text);
    return el("span", {}, text);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    node.append(...children);
    return node;
  }

  function renderCallbacks() {
    // the button staff just used (it lost focus when it was disabled) or the focused one
    const focusedId = state.usedCallback || (document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.callback : null);
    state.usedCallback = null;
    els.callbackList.replaceChildren();
    els.callbacksEmpty.hidden = state.callbacks.length > 0;
    for (const c of state.callbacks) {
      const open = c.state === "open";
      const item = el("li", { class: `callback callback--${open ? "open" : "done"}` });
      const head = el("p", { class: "callback-head" }, String(c.name || ""), " · ", contactLink(c.contact));
      const meta = el("p", { class: "callback-meta" },
        open ? `offen · erbeten um ${clock(c.requested)} Uhr (${since(c.requested).replace("seit", "vor")})`
          : `erledigt von ${c.done_by || "jemandem"} um ${clock(c.done_at)} Uhr`);
      item.append(head, meta);
      if (c.question) item.append(el("p", { class: "callback-question" }, `Anliegen: ${c.question}`));
      if (open) {
        const done = el("button", { type: "button", class: "btn btn-secondary", "data-callback": String(c.id) },
          "Als erledigt markieren");
        done.setAttribute("aria-label", `Rückruf-Bitte von ${c.name} als erledigt markieren`);
        done.addEventListener("click", () => {
          if (send({ type: "staff.callback_done", id: String(c.id) })) {
            state.usedCallback = String(c.id);
            done.disabled = true;
          }
        });
        item.append(done);
        if (focusedId === String(c.id)) queueMicrotask(() => done.focus());
      }
      els.callbackList.append(item);
    }
    // the button just used is gone (marked done): keep the keyboard in the list, not on <body>
    if (focusedId && !els.callbackList.querySelector(`[data-callback="${CSS.escape(focusedId)}"]`)) {
      els.callbackTitle.focus();
    }
  }

  // once a second: the countdowns only (the list is not rebuilt, so focus and screen readers stay put)
  setInterval(() => {
    for (const timer of els.list.querySelectorAll(".conv")) {
      const conv = state.conversations.get(timer.dataset.session);
      const span = timer.querySelector(".conv-countdown");
      if (!conv || !span) continue;
      span.textContent = countdown(conv);
      span.hidden = !span.textContent;
      span.classList.toggle("conv-countdown--urgent", urgent(conv));
    }
    const selected = state.selected ? state.conversations.get(state.selected) : null;
    if (selected && selected.status === "waiting") els.meta.textContent = detailMeta(selected);
  }, 1000);

  function select(session) {
    state.selected = session;
    renderList();
    renderDetail();
    const conv = state.conversations.get(session);
    if (conv && conv.status === "waiting") els.take.focus();
    else if (conv && isMine(conv)) els.replyText.focus();
    else els.history.focus();
  }

  els.take.addEventListener("click", () => {
    if (!state.selected) return;
    if (send({ type: "staff.take", session: state.selected })) {
      state.mine.add(state.selected);
      els.status.textContent = "Gespräch wird übernommen …";
      const conv = state.conversations.get(state.selected);
      if (conv) {
        conv.status = "active";
        conv.staff = state.name || conv.staff;
      }
      renderList();
      renderDetail();
      els.replyText.focus();
    }
  });

  // "Gespräch beenden" asks first (a modal <dialog>: focus stays in it, Escape cancels) and offers a short
  // summary, sent to the citizen as the last staff message before the hand-back
  els.release.addEventListener("click", () => {
    if (!state.selected) return;
    els.endSummary.value = "";
    els.endDialog.returnValue = ""; // Escape keeps the last value: start from "not confirmed"
    els.endDialog.dataset.session = state.selected;
    els.endDialog.showModal();
    els.endSummary.focus();
  });

  els.endDialog.addEventListener("close", () => {
    const session = els.endDialog.dataset.session;
    if (els.endDialog.returnValue !== "end" || !session) {
      els.release.focus();
      return;
    }
    const summary = els.endSummary.value.trim();
    if (summary && !send({ type: "staff.send", session, text: `Zusammenfassung: ${summary}` })) return;
    if (send({ type: "staff.release", session })) {
      state.mine.delete(session);
      els.status.textContent = "Gespräch beendet. Der KI-Assistent antwortet wieder.";
      els.history.focus();
    }
  });

  // "… schreibt" for the citizen: at most one staff.typing every 2 s while typing (the gateway throttles too)
  const TYPING_EVERY_MS = 2000;
  let lastTyping = 0;

  els.reply.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = els.replyText.value.trim();
    if (!text || !state.selected) return;
    if (send({ type: "staff.send", session: state.selected, text })) {
      els.replyText.value = "";
      lastTyping = 0; // the next message's first keystroke shows "schreibt" again at once
    }
    els.replyText.focus();
  });

  els.replyText.addEventListener("input", () => {
    const conv = state.selected ? state.conversations.get(state.selected) : null;
    if (!conv || !isMine(conv) || !els.replyText.value.trim()) return;
    const now = Date.now();
    if (now - lastTyping < TYPING_EVERY_MS) return;
    if (send({ type: "staff.typing", session: conv.session })) lastTyping = now;
  });

  els.replyText.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.reply.requestSubmit();
    }
  });

  loginMethods().then(() => {
    const login = readLogin();
    if (login && (login.token || login.ticket)) start(login);
  });
})();
