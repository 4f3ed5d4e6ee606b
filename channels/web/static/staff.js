/*
 * Staff console for human hand-off (/staff). Opens /ws/staff?token=...&name=... and speaks the staff
 * protocol of docs/protocol.md: staff.queue / staff.update / staff.message / error in, staff.take / staff.send /
 * staff.release out. The token comes from the login form or ?token= (removed from the address bar at
 * once) and is kept only in sessionStorage of this tab. Untrusted text is inserted with textContent only.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const KEY = "rathaus.staff.login";
  const els = {
    login: $("login"), token: $("token"), name: $("staff-name"), loginError: $("login-error"),
    console: $("console"), sessionBox: $("session-box"), whoami: $("whoami"), logout: $("logout"),
    status: $("conn-status"), list: $("queue-list"), queueEmpty: $("queue-empty"),
    detailEmpty: $("detail-empty"), detailBody: $("detail-body"), detailTitle: $("detail-title"),
    meta: $("detail-meta"), history: $("history"), take: $("take"), release: $("release"),
    reply: $("reply"), replyText: $("reply-text"), replySend: $("reply-send"),
  };

  const state = {
    token: null, name: "", ws: null, conversations: new Map(), selected: null, mine: new Set(),
    retry: 0, retryTimer: null, authFailed: false, knownWaiting: new Set(),
  };

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
    state.token = login.token;
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
    state.conversations.clear();
    state.selected = null;
    els.console.hidden = true;
    els.sessionBox.hidden = true;
    els.login.hidden = false;
    els.loginError.textContent = message || "";
    els.status.textContent = message ? "" : "Abgemeldet.";
    els.token.value = "";
    els.token.focus();
  }

  els.login.addEventListener("submit", (event) => {
    event.preventDefault();
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
    url.searchParams.set("token", state.token);
    if (state.name) url.searchParams.set("name", state.name);
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
        // refused twice before the upgrade: almost always a wrong token (HTTP 401)
        stop("Anmeldung fehlgeschlagen. Bitte prüfen Sie den Zugangsschlüssel.");
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
    }
    renderList();
    renderDetail();
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
        if (c && c.session) next.set(String(c.session), { ...c, history: [...(c.history || [])] });
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

  function shortId(session) {
    return String(session).slice(0, 6);
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
      head.textContent = `Gespräch ${shortId(conv.session)} · ${statusLabel(conv)} · ${since(conv.waiting_since)}`;
      const text = document.createElement("span");
      text.className = "conv-preview";
      text.textContent = preview(conv);
      btn.append(head, text);
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
    els.detailTitle.textContent = `Gespräch ${shortId(conv.session)}`;
    els.meta.textContent = `Status: ${statusLabel(conv)} · angefragt ${since(conv.waiting_since)}`;
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

  els.release.addEventListener("click", () => {
    if (!state.selected) return;
    if (send({ type: "staff.release", session: state.selected })) {
      state.mine.delete(state.selected);
      els.status.textContent = "Gespräch beendet. Der KI-Assistent antwortet wieder.";
    }
  });

  els.reply.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = els.replyText.value.trim();
    if (!text || !state.selected) return;
    if (send({ type: "staff.send", session: state.selected, text })) {
      els.replyText.value = "";
    }
    els.replyText.focus();
  });

  els.replyText.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.reply.requestSubmit();
    }
  });

  const login = readLogin();
  if (login && login.token) start(login);
})();
