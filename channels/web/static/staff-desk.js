/*
 * Staff console, the conversation desk: conversations the assistant handed over (staff.queue / staff.update /
 * staff.message in; staff.take / staff.send / staff.typing / staff.release out; docs/protocol.md). Part of
 * the console (staff.js has login, connection and alerts, window.RathausStaff).
 *
 * Conversations are labelled by the citizen's first question, the time of the request and the language the
 * citizen wrote in; a waiting one counts down to its timeout (from the gateway's timeout_s, measured on this
 * tab's own clock, so a skewed clock does not matter). A new request alerts (tone, tab title).
 */
(() => {
  "use strict";

  const staff = window.RathausStaff;
  const { $, clock, since, send } = staff;
  const els = {
    list: $("queue-list"), queueEmpty: $("queue-empty"),
    detailEmpty: $("detail-empty"), detailBody: $("detail-body"), detailTitle: $("detail-title"),
    meta: $("detail-meta"), history: $("history"), take: $("take"), release: $("release"),
    reply: $("reply"), replyText: $("reply-text"), endDialog: $("end-dialog"), endSummary: $("end-summary"),
    status: $("conn-status"),
  };
  const LANGUAGES = { en: "Englisch", tr: "Türkisch", uk: "Ukrainisch", ru: "Russisch", ar: "Arabisch" };
  const state = { conversations: new Map(), selected: null, mine: new Set(), knownWaiting: new Set() };

  staff.waiting = () => [...state.conversations.values()].filter((c) => c.status === "waiting").length;
  staff.onStop(() => {
    state.conversations.clear();
    state.selected = null;
  });

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
      staff.alert(fresh.length);
    }
    staff.renderTitle();
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

  staff.on("staff.queue", (frame) => {
    const next = new Map();
    for (const c of frame.conversations || []) {
      if (!c || !c.session) continue;
      const conv = { ...c, history: [...(c.history || [])], citizen_present: c.citizen_present !== false };
      setDeadline(conv, c.timeout_s);
      next.set(String(c.session), conv);
    }
    state.conversations = next;
    queueChanged();
  });
  staff.on("staff.update", (frame) => {
    if (!frame.session) return;
    applyUpdate(frame);
    queueChanged();
  });
  staff.on("staff.message", (frame) => {
    const conv = state.conversations.get(String(frame.session));
    if (!conv || !frame.message) return;
    // the same event can arrive in a fresh staff.queue and as staff.message: show it once
    const key = messageKey(frame.message);
    if (conv.history.some((m) => messageKey(m) === key)) return;
    conv.history.push(frame.message);
    if (state.selected === conv.session) appendHistory(frame.message);
    renderList();
  });
  staff.on("error", (frame) => {
    const text = ERRORS[frame.code] || String(frame.message || "Fehler.");
    if (frame.code === "already_taken" && state.selected) state.mine.delete(state.selected);
    staff.status(text);
    renderDetail();
  });

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

  function preview(conv) {
    const users = conv.history.filter((m) => m && m.type === "chat.user");
    const last = users[users.length - 1];
    return last ? String(last.text || "") : "(noch keine Nachricht)";
  }

  function isMine(conv) {
    // the gateway names anonymous staff "Mitarbeiter" (see /ws/staff in docs/protocol.md)
    return conv.status === "active" && (state.mine.has(conv.session) || conv.staff === (staff.name() || "Mitarbeiter"));
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
        conv.staff = staff.name() || conv.staff;
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

})();
