/*
 * Staff console, callback requests: left by citizens when nobody was in the chat (staff.callbacks in,
 * staff.callback_done out; docs/protocol.md). Open ones first; a new one alerts (tone, tab title). Part of
 * the console (staff.js, window.RathausStaff). Untrusted text is inserted with textContent only.
 */
(() => {
  "use strict";

  const staff = window.RathausStaff;
  const { $, el, clock, since, send } = staff;
  const els = { callbackList: $("callback-list"), callbacksEmpty: $("callbacks-empty"), callbackTitle: $("callbacks-title") };
  const state = { callbacks: [], knownCallbacks: null, usedCallback: null };

  staff.on("staff.callbacks", (frame) => {
    const list = Array.isArray(frame.callbacks) ? frame.callbacks : [];
    const open = list.filter((c) => c && c.state === "open").map((c) => String(c.id));
    if (state.knownCallbacks && open.some((id) => !state.knownCallbacks.has(id))) {
      staff.status("Eine neue Rückruf-Bitte ist da.");
      staff.alert(1);
    }
    state.knownCallbacks = new Set([...(state.knownCallbacks || []), ...list.map((c) => String(c.id))]);
    state.callbacks = list;
    renderCallbacks();
  });

  function contactLink(contact) {
    const text = String(contact || "");
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return el("a", { href: `mailto:${text}` }, text);
    const digits = text.replace(/[^\d+]/g, "");
    if (digits.length >= 5 && /^[\d\s+()\/-]+$/.test(text)) return el("a", { href: `tel:${digits}` }, text);
    return el("span", {}, text);
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

})();
