/*
 * rathaus chat widget: embed with ONE script tag
 *   <script src="https://GATEWAY/widget.js" defer></script>
 * The gateway origin is taken from this script's own src; the stylesheet, /api/config, /ws/chat and the
 * HTTP fallback POST /api/chat all go to that origin and nowhere else (no CDN, no web fonts).
 * Untrusted text is only ever inserted with textContent; links are accepted only with http/https.
 * Protocol: docs/protocol.md (chat.send / chat.feedback / chat.handoff; chat.session, chat.history,
 * chat.reply, chat.status, chat.waiting, error).
 */
(() => {
  "use strict";
  if (window.__rathausChatLoaded) return;
  window.__rathausChatLoaded = true;

  const script = document.currentScript || document.querySelector('script[src$="/widget.js"]');
  const ORIGIN = new URL(script ? script.src : "/", location.href).origin;
  const WS_ORIGIN = ORIGIN.replace(/^http/, "ws");
  // data-city="beispielhausen": a gateway that serves several cities (docs/cities.md); every path then
  // starts with /{city}, and the conversation is remembered per city.
  const CITY = (script && /^[a-z0-9][a-z0-9-]{0,39}$/.test(script.dataset.city || "")) ? script.dataset.city : "";
  const BASE = CITY ? `${ORIGIN}/${CITY}` : ORIGIN;
  const KEY_SESSION = CITY ? `rathaus.chat.session.${CITY}` : "rathaus.chat.session";
  const KEY_EASY = "rathaus.chat.easy";
  const KEY_OPEN = "rathaus.chat.open";
  const KEY_RATINGS = "rathaus.chat.ratings";
  const REPLY_TIMEOUT_MS = 20000;
  // A queued question ("chat.waiting") is answered when its turn comes: wait longer than the gateway's
  // queue limit (RATHAUS_RASA_QUEUE_TIMEOUT_S, 60 s by default) before giving up on it.
  const QUEUED_TIMEOUT_MS = 90000;
  // "… schreibt" during a staff chat: the gateway repeats chat.typing every 2 s while staff type; without a
  // new one for this long, staff have stopped typing.
  const STAFF_TYPING_MS = 5000;

  // Everything the widget itself says, in German and English (issue #10). What the assistant, the staff and
  // the gateway send stays German: content is not machine-translated, and it is marked lang="de".
  const KEY_LANG = "rathaus.chat.lang"; // localStorage: the citizen's choice outlives the tab
  const STRINGS = {
    de: {
      // Nobody in the chat: a callback or contact request, kept for staff (chat.callback)
      callbackTitle: "Rückruf oder Antwort per E-Mail anfordern",
      callbackPrivacy: "Ihre Angaben sehen nur Mitarbeitende der Stadt, um Sie zu erreichen.",
      callbackName: "Ihr Name",
      callbackContact: "Telefonnummer oder E-Mail-Adresse",
      callbackQuestion: "Ihr Anliegen (freiwillig)",
      callbackSend: "Rückruf anfordern",
      callbackMissing: "Bitte geben Sie Ihren Namen und eine Telefonnummer oder E-Mail-Adresse an.",
      launcher: "Fragen an die Stadt",
      title: (city) => (city ? `Fragen an die Stadt ${city}` : "Fragen an die Stadt"),
      close: "Chat schließen",
      // The one AI notice: short in the header, in full in the greeting (the bot's own disclosure is folded).
      notice: "KI-Assistent, kein Mensch. Bitte keine persönlichen Daten eingeben.",
      noticeHuman: "Sie schreiben jetzt mit einer Mitarbeiterin oder einem Mitarbeiter der Stadt. " +
        "Bitte geben Sie trotzdem nur die nötigsten persönlichen Daten ein.",
      easy: "Leichte Sprache",
      // the toggle names the other language, in that language
      langSwitch: "English",
      langSwitchShort: "EN", // on small screens, beside the title
      langSwitchLang: "en",
      langOn: "Der Chat ist jetzt auf Deutsch.",
      human: "Mit einem Menschen sprechen",
      humanBusy: "Mensch angefragt",
      logLabel: "Gesprächsverlauf",
      inputLabel: "Ihre Frage",
      placeholder: "Zum Beispiel: Wie beantrage ich einen Personalausweis?",
      send: "Senden",
      you: "Sie",
      bot: "KI-Assistent",
      staff: "Mitarbeiterin/Mitarbeiter der Stadt",
      system: "Hinweis",
      // Short on purpose: the header carries the AI notice, and the bot's own first reply is its full
      // AI disclosure; a long greeting here would say the same thing twice.
      greeting: "Ich bin ein KI-Assistent, ein Computerprogramm und kein Mensch. Ich antworte aus den " +
        "Informationen der Stadt und entscheide nicht über Anträge. Wie kann ich helfen? Fragen Sie zum " +
        "Beispiel nach dem Personalausweis, der Anmeldung der Wohnung oder der Abholung von Sperrmüll.",
      disclosureMore: "Mehr zum KI-Assistenten und zum Datenschutz",
      more: "Mehr dazu",
      less: "Weniger anzeigen",
      actions: "Aktionen",
      book: "Termin buchen",
      online: "Online-Antrag",
      available: "Jetzt ist jemand im Chat erreichbar.",
      unavailableNow: "Gerade ist niemand im Chat erreichbar.",
      cancel: "Anfrage zurückziehen",
      barWaiting: "Sie warten auf eine Mitarbeiterin oder einen Mitarbeiter.",
      barPosition: (n) => (n <= 1 ? "Sie sind als Nächste oder Nächster dran." : `Vor Ihnen warten ${n - 1} andere.`),
      barActive: "Sie schreiben mit einer Mitarbeiterin oder einem Mitarbeiter der Stadt.",
      ackWaiting: "Gespeichert. Die Mitarbeiterin oder der Mitarbeiter sieht Ihre Nachricht beim Übernehmen.",
      ackActive: "Gesendet an die Mitarbeiterin oder den Mitarbeiter.",
      typing: "Die Antwort wird gesucht …",
      staffTyping: (name) => `${name || "Die Mitarbeiterin oder der Mitarbeiter"} schreibt …`,
      waiting: "Gerade stellen viele Menschen gleichzeitig Fragen. Ihre Frage ist vorgemerkt, die Antwort kommt gleich.",
      sources: "Quelle:",
      newWindow: "(öffnet in neuem Fenster)",
      reviewed: (date) => `Stand: ${date}`,
      office: (parts) => `Zuständig: ${parts}`,
      officePhone: "Telefon",
      choices: "Auswahl",
      clarify: "Meinten Sie …?",
      feedbackQ: "War diese Antwort hilfreich?",
      up: "Ja, hilfreich",
      down: "Nein, nicht hilfreich",
      thanks: "Danke für Ihre Rückmeldung.",
      easyLabel: "In Leichter Sprache:",
      noEasy: "Diese Antwort gibt es noch nicht in Leichter Sprache.",
      easyOn: "Leichte Sprache ist eingeschaltet. Antworten werden in Leichter Sprache gezeigt, wo es sie gibt.",
      easyOff: "Leichte Sprache ist ausgeschaltet.",
      phone: "Lieber telefonieren?",
      error: "Entschuldigung, da ist etwas schiefgegangen. Bitte versuchen Sie es noch einmal.",
      offline: "Die Verbindung ist unterbrochen. Ihre Nachricht konnte nicht gesendet werden. Bitte " +
        "versuchen Sie es gleich noch einmal.",
      timeout: "Es kommt gerade keine Antwort. Sie können die Frage noch einmal senden.",
      handoffOffline: "Ein Gespräch mit einem Menschen ist gerade nicht möglich.",
      callUs: (phone) => `Sie erreichen uns telefonisch unter ${phone}.`,
      status: {
        handoff_waiting: "Wir suchen eine Mitarbeiterin oder einen Mitarbeiter für Sie. Bitte haben Sie einen Moment Geduld.",
        handoff_active: "Eine Mitarbeiterin oder ein Mitarbeiter der Stadt ist jetzt im Gespräch.",
        handoff_timeout: "Leider ist gerade niemand im Chat erreichbar.",
        handoff_ended: "Das Gespräch mit der Mitarbeiterin oder dem Mitarbeiter ist beendet. Sie können weiter " +
          "Fragen an den KI-Assistenten stellen.",
      },
    },
    en: {
      callbackTitle: "Ask for a call back or an answer by e-mail",
      callbackPrivacy: "Only city staff see your details, to get in touch with you.",
      callbackName: "Your name",
      callbackContact: "Phone number or e-mail address",
      callbackQuestion: "Your question (optional)",
      callbackSend: "Ask for a call back",
      callbackMissing: "Please give your name and a phone number or e-mail address.",
      launcher: "Ask the city",
      title: (city) => (city ? `Ask the city of ${city}` : "Ask the city"),
      close: "Close chat",
      notice: "AI assistant, not a person. Please do not enter personal data.",
      noticeHuman: "You are now writing with a member of city staff. Please still enter only the personal " +
        "data that is needed.",
      easy: "Leichte Sprache",
      langSwitch: "Deutsch",
      langSwitchShort: "DE",
      langSwitchLang: "de",
      langOn: "The chat is now in English. Answers are in German.",
      human: "Talk to a person",
      humanBusy: "Person requested",
      logLabel: "Conversation",
      inputLabel: "Your question",
      placeholder: "For example: How do I apply for an ID card?",
      send: "Send",
      you: "You",
      bot: "AI assistant",
      staff: "City staff",
      system: "Note",
      // the one place that says it: the assistant's answers are German content, not machine-translated
      greeting: "I am an AI assistant, a computer program and not a person. I answer from the city's " +
        "information and do not decide on applications. Answers are in German. How can I help? Ask, for " +
        "example, about the ID card, registering your address or the collection of bulky waste.",
      disclosureMore: "More about the AI assistant and data protection",
      more: "Show more",
      less: "Show less",
      actions: "Actions",
      book: "Book an appointment",
      online: "Apply online",
      available: "Someone is available in the chat now.",
      unavailableNow: "Nobody is available in the chat right now.",
      cancel: "Withdraw request",
      barWaiting: "You are waiting for a member of staff.",
      barPosition: (n) => (n <= 1 ? "You are next." : `${n - 1} ahead of you.`),
      barActive: "You are writing with a member of city staff.",
      ackWaiting: "Saved. The member of staff sees your message when they take over.",
      ackActive: "Sent to the member of staff.",
      typing: "Looking for the answer …",
      staffTyping: (name) => `${name || "The member of staff"} is typing …`,
      waiting: "Many people are asking at the same time. Your question is queued, the answer follows shortly.",
      sources: "Source:",
      newWindow: "(opens in a new window)",
      reviewed: (date) => `As of: ${date}`,
      office: (parts) => `Responsible: ${parts}`,
      officePhone: "Phone",
      choices: "Choices",
      clarify: "Did you mean …?",
      feedbackQ: "Was this answer helpful?",
      up: "Yes, helpful",
      down: "No, not helpful",
      thanks: "Thank you for your feedback.",
      easyLabel: "In Leichte Sprache (easy German):",
      noEasy: "This answer is not yet available in Leichte Sprache.",
      easyOn: "Leichte Sprache is on. Answers are shown in Leichte Sprache (easy German) where there is one.",
      easyOff: "Leichte Sprache is off.",
      phone: "Rather talk on the phone?",
      error: "Sorry, something went wrong. Please try again.",
      offline: "The connection is lost. Your message could not be sent. Please try again in a moment.",
      timeout: "No answer is coming right now. You can send the question again.",
      handoffOffline: "Talking to a person is not possible right now.",
      callUs: (phone) => `You can reach us by phone on ${phone}.`,
      status: {
        handoff_waiting: "We are looking for a member of staff for you. Please be patient for a moment.",
        handoff_active: "A member of city staff is now in the conversation.",
        handoff_timeout: "Sorry, nobody is available in the chat right now.",
        handoff_ended: "The conversation with the member of staff has ended. You can go on asking the AI " +
          "assistant.",
      },
    },
  };
  const LANGS = Object.keys(STRINGS);

  /** The citizen's stored choice; else English when the embedding page is English; else German. */
  function initialLang() {
    let stored = null;
    try { stored = window.localStorage.getItem(KEY_LANG); } catch (_) { /* private mode */ }
    if (LANGS.includes(stored)) return stored;
    return /^en\b/i.test(document.documentElement.lang || "") ? "en" : "de";
  }
  let lang = initialLang();
  let T = STRINGS[lang];

  /** One text of the table ("status.handoff_ended" looks into `status`): a string, or a function of values. */
  function say(key, args) {
    const value = key.split(".").reduce((table, part) => (table ? table[part] : undefined), T);
    return typeof value === "function" ? value(...(args || [])) : String(value);
  }

  // ------------------------------------------------------------------ small helpers
  const store = {
    get(key) { try { return window.sessionStorage.getItem(key); } catch (_) { return null; } },
    set(key, value) { try { window.sessionStorage.setItem(key, value); } catch (_) { /* private mode */ } },
  };

  /**
   * Create an element; attributes via setAttribute, children as nodes or plain text (never HTML).
   * `t: key` (or `t: [key, ...values]`) and `ta: {attribute: key}` take the text from the table and keep
   * the key on the node, so that relabel() can say it again in the other language.
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name === "t") label(node, ...[].concat(value));
      else if (name === "ta") labelAttrs(node, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    up: "M7 10v10H4V10h3zm2 10h8.5a2 2 0 0 0 2-1.6l1.3-6.5A2 2 0 0 0 18.8 9.5H14l.8-4a1.8 1.8 0 0 0-3.3-1.2L9 9.5V20z",
    down: "M7 14V4H4v10h3zm2-10h8.5a2 2 0 0 1 2 1.6l1.3 6.5a2 2 0 0 1-2 2.4H14l.8 4a1.8 1.8 0 0 1-3.3 1.2L9 14.5V4z",
    person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 8a8 8 0 0 1 16 0H4z",
  };

  function icon(name, stroke) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "rh-icon");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    if (stroke) {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2.5");
      path.setAttribute("stroke-linecap", "round");
    } else {
      path.setAttribute("fill", "currentColor");
    }
    svg.append(path);
    return svg;
  }

  /** Only absolute http(s) URLs become links; anything else (javascript:, data:) is dropped. */
  function safeUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  /** "2026-09-15" -> "15.09.2026"; anything else is shown unchanged. */
  function germanDate(iso) {
    const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ""));
    return match ? `${match[3]}.${match[2]}.${match[1]}` : String(iso || "");
  }

  // Phone numbers and e-mail addresses in a text become tel:/mailto: links (built as nodes, never HTML).
  const CONTACT_RE = /([\w.+-]+@[\w-]+(?:\.[\w-]+)+)|((?:\+\d{1,3}[\s/]?|\b0)\d{2,5}(?:[\s/-]?\d+){1,5})/g;
  function withLinks(text) {
    const nodes = [];
    let last = 0;
    for (const match of String(text).matchAll(CONTACT_RE)) {
      const [found, email, phone] = match;
      if (phone && phone.replace(/\D/g, "").length < 6) continue;
      nodes.push(text.slice(last, match.index));
      const href = email ? `mailto:${email}` : `tel:${phone.replace(/[^+\d]/g, "")}`;
      nodes.push(el("a", { href, class: "rh-contact", text: found }));
      last = match.index + found.length;
    }
    nodes.push(text.slice(last));
    return nodes.filter((n) => n !== "");
  }

  function setText(node, text) {
    node.replaceChildren(...withLinks(String(text || "")));
  }

  /** A text of the widget's own, remembered by key (phone numbers in it become links). */
  function label(node, key, ...args) {
    node.dataset.t = key;
    if (args.length) node.dataset.tArgs = JSON.stringify(args);
    else delete node.dataset.tArgs;
    setText(node, say(key, args));
    return node;
  }

  function labelAttrs(node, keys) {
    node.dataset.ta = JSON.stringify(keys);
    for (const [attr, key] of Object.entries(keys)) node.setAttribute(attr, say(key));
    return node;
  }

  /** Say every remembered text and attribute under `scope` again, in the current language. */
  function relabel(scope) {
    for (const node of scope.querySelectorAll("[data-t]")) {
      label(node, node.dataset.t, ...(node.dataset.tArgs ? JSON.parse(node.dataset.tArgs) : []));
    }
    for (const node of scope.querySelectorAll("[data-ta]")) labelAttrs(node, JSON.parse(node.dataset.ta));
  }

  /** The first two sentences, and the rest (empty when the text is short anyway). */
  function summarise(text) {
    const sentences = String(text).match(/[^.!?\n]+(?:[.!?]+(?=\s|$)|\n|$)/g) || [String(text)];
    if (sentences.length <= 2 || String(text).length < 220) return [String(text), ""];
    const head = sentences.slice(0, 2).join("").trim();
    return [head, String(text).slice(String(text).indexOf(head) + head.length).trim()];
  }

  function loadRatings() {
    try { return JSON.parse(store.get(KEY_RATINGS) || "{}") || {}; } catch (_) { return {}; }
  }

  // ------------------------------------------------------------------ state
  const state = {
    config: null,
    session: store.get(KEY_SESSION),
    easy: store.get(KEY_EASY) === "1",
    ratings: loadRatings(),
    ws: null,
    wsOpened: false,
    wsFailures: 0,
    httpOnly: !("WebSocket" in window),
    reconnectTimer: null,
    outbox: [],
    seen: new Set(),
    handoff: null,
    staffOnline: null,
    pendingTimer: null,
    noteTimer: null,
    answers: [],
  };

  // ------------------------------------------------------------------ DOM
  const host = el("div", { id: "rathaus-chat", class: "rathaus-chat-host" });
  const root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  const stylesheet = el("link", { rel: "stylesheet", href: `${ORIGIN}/static/widget.css` });
  const wrapper = el("div", { class: "rh-root", lang, hidden: true });
  stylesheet.addEventListener("load", () => { wrapper.hidden = false; });
  stylesheet.addEventListener("error", () => { wrapper.hidden = false; });

  const launcher = el("button", {
    type: "button", class: "rh-launcher", "aria-expanded": "false", "aria-controls": "rh-panel",
  }, icon("chat"), el("span", { t: "launcher" }));

  const titleEl = el("h2", { id: "rh-title", class: "rh-title", t: ["title", ""] });
  const closeBtn = el("button", { type: "button", class: "rh-close", ta: { "aria-label": "close" } },
    icon("close", true));
  const noticeEl = el("p", { id: "rh-notice", class: "rh-notice", t: "notice" });
  const easyBtn = el("button", { type: "button", class: "rh-tool rh-easy", "aria-pressed": String(state.easy) },
    el("span", { lang: "de", text: STRINGS.de.easy })); // the name of a German offer, in German
  const humanBtn = el("button", { type: "button", class: "rh-tool rh-human" }, icon("person"),
    el("span", { t: "human" }));
  // names the other language in that language ("English" / "Deutsch"), with its lang for screen readers
  const langBtn = el("button", { type: "button", class: "rh-tool rh-lang", ta: { "aria-label": "langSwitch" } },
    el("span", { class: "rh-lang-long", "aria-hidden": "true", t: "langSwitch" }),
    el("span", { class: "rh-lang-short", "aria-hidden": "true", t: "langSwitchShort" }));
  const availEl = el("p", { id: "rh-avail", class: "rh-avail", hidden: true });
  humanBtn.setAttribute("aria-describedby", "rh-avail");
  const cancelBtn = el("button", { type: "button", class: "rh-cancel", t: "cancel" });
  const barText = el("span", { class: "rh-bar-text" });
  const handoffBar = el("div", { class: "rh-handoff", hidden: true }, barText, cancelBtn);
  const log = el("div", {
    class: "rh-log", role: "log", "aria-live": "polite", "aria-relevant": "additions text",
    ta: { "aria-label": "logLabel" }, tabindex: "0",
  });
  const typing = el("p", { class: "rh-typing", role: "status", hidden: true });
  // its own live region: set once when staff start typing (repeats only extend it), so a screen reader
  // hears "schreibt" once, not every 2 s
  const staffTyping = el("p", {
    class: "rh-staff-typing", role: "status", "aria-live": "polite", hidden: true,
  });
  const input = el("input", {
    id: "rh-input", class: "rh-input", type: "text", name: "text", autocomplete: "off",
    maxlength: "1000", ta: { placeholder: "placeholder" }, "aria-describedby": "rh-notice",
  });
  const sendBtn = el("button", { type: "submit", class: "rh-send" }, el("span", { t: "send" }));
  const form = el("form", { class: "rh-form", novalidate: true },
    el("label", { for: "rh-input", class: "rh-label", t: "inputLabel" }),
    el("div", { class: "rh-row" }, input, sendBtn));
  const phoneEl = el("p", { class: "rh-phone", hidden: true });
  const panel = el("div", {
    id: "rh-panel", class: "rh-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "rh-title", hidden: true, lang,
  },
  el("div", { class: "rh-header" },
    // the language toggle sits beside the close button: at 375 px three tools would not fit one row
    el("div", { class: "rh-head-row" }, titleEl, langBtn, closeBtn),
    noticeEl,
    el("div", { class: "rh-tools" }, easyBtn, humanBtn, availEl)),
  handoffBar, log, staffTyping, typing, form, phoneEl);

  applyLang();
  wrapper.append(panel, launcher);
  root.append(stylesheet, wrapper);

  function mount() {
    // First in the page's tab order: the chat is reachable early, not after every link of the page.
    document.body.prepend(host);
    if (store.get(KEY_OPEN) === "1") openPanel(false);
  }

  // ------------------------------------------------------------------ config
  let configPromise = null;
  function loadConfig() {
    if (!configPromise) {
      configPromise = fetch(`${BASE}/api/config`, { credentials: "omit" })
        .then((r) => (r.ok ? r.json() : {}))
        .catch(() => ({}))
        .then((cfg) => {
          state.config = cfg || {};
          applyConfig();
          return state.config;
        });
    }
    return configPromise;
  }

  function cityInfo() {
    const c = state.config || {};
    return (c.city && typeof c.city === "object") ? c.city : { name: c.city_name || c.city, phone: c.phone };
  }

  function cityName() {
    return String(cityInfo().name || "");
  }

  function cityPhone() {
    return String(cityInfo().phone || "");
  }

  function chatPath() {
    const c = state.config || {};
    const ws = c.ws || c.ws_paths || {};
    return (typeof ws === "object" && ws.chat) || c.ws_chat || "/ws/chat";
  }

  function applyConfig() {
    // the city's colour (branding.colour of its content, checked for contrast by `content check`)
    const colour = String(cityInfo().colour || "");
    if (/^#[0-9a-fA-F]{6}$/.test(colour)) {
      wrapper.style.setProperty("--rh-primary", colour);
      wrapper.style.setProperty("--rh-user-bg", colour);
    }
    label(titleEl, "title", cityName());
    const phone = cityPhone();
    if (phone) {
      phoneEl.replaceChildren(el("span", { t: "phone" }), " ",
        el("a", { href: `tel:${phone.replace(/[^+\d]/g, "")}`, text: phone }));
      phoneEl.hidden = false;
    }
  }

  // ------------------------------------------------------------------ open / close
  function openPanel(focus = true) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    wrapper.classList.add("rh-open");
    store.set(KEY_OPEN, "1");
    loadConfig();
    if (!log.childElementCount) addGreeting();
    connect();
    if (smallScreen) panel.setAttribute("aria-modal", String(smallScreen.matches));
    panel.scrollTop = 0; // title and close button first, also at 200 % zoom
    if (focus) input.focus({ preventScroll: true });
    scrollToEnd();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    wrapper.classList.remove("rh-open");
    store.set(KEY_OPEN, "0");
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? openPanel() : closePanel()));
  // Focus never goes behind the open panel (WCAG 2.2, 2.4.11): Tab cycles through the panel and the
  // launcher (which closes it); Escape closes. On small screens the panel covers the page: modal there.
  const smallScreen = window.matchMedia ? window.matchMedia("(max-width: 32rem), (max-height: 36rem)") : null;
  function focusables() {
    const inPanel = [...panel.querySelectorAll("button, a[href], input, [tabindex='0'], summary")]
      .filter((node) => !node.closest("[hidden]") && !node.disabled && node.getClientRects().length);
    return launcher.getClientRects().length ? [...inPanel, launcher] : inPanel;
  }
  wrapper.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || panel.hidden) return;
    const items = focusables();
    if (!items.length) return;
    const current = root.activeElement || document.activeElement;
    const index = items.indexOf(current);
    const next = event.shiftKey ? (index <= 0 ? items.length - 1 : index - 1) : (index + 1) % items.length;
    event.preventDefault();
    items[next].focus();
  });
  document.addEventListener("focusin", (event) => {
    // focus arriving on the page behind the open panel (a click, a screen reader) goes back into the panel
    if (panel.hidden || event.target === host) return;
    if (smallScreen && smallScreen.matches) input.focus({ preventScroll: true });
  });
  // An on-screen keyboard shrinks the visual viewport: the panel follows it and the header gets compact.
  if (window.visualViewport) {
    const fit = () => {
      const vv = window.visualViewport;
      wrapper.style.setProperty("--rh-vh", `${vv.height}px`);
      wrapper.classList.toggle("rh-keyboard", vv.height < window.innerHeight * 0.75);
    };
    window.visualViewport.addEventListener("resize", fit);
    fit();
  }
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closePanel();
    }
  });

  function scrollToEnd(node) {
    // after layout: show the newest message; a long one from its first line, so it reads top-down
    requestAnimationFrame(() => {
      const reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      let top = log.scrollHeight;
      if (node && node.offsetHeight > log.clientHeight - 16) {
        top = log.scrollTop + node.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
      }
      log.scrollTo({ top, behavior: reduce ? "auto" : "smooth" });
    });
  }

  // ------------------------------------------------------------------ rendering
  /** A bubble in the log; `senderLabel` is a key of the table ("bot", "you", "staff", "system"). */
  function message(kind, senderLabel, ...body) {
    const node = el("div", { class: `rh-msg rh-msg--${kind}` },
      el("p", { class: "rh-sender" }, kind === "staff" ? icon("person") : null, el("span", { t: senderLabel })),
      ...body);
    log.append(node);
    scrollToEnd(node);
    return node;
  }

  function addGreeting() {
    message("bot", "bot", el("p", { class: "rh-text", t: "greeting" }));
  }

  function addUser(text) {
    message("user", "you", el("p", { class: "rh-text", text }));
  }

  /** A note from the gateway: German, whatever language the widget speaks. */
  function addSystem(text) {
    return message("system", "system", el("p", { class: "rh-text", lang: "de" }, ...withLinks(String(text))));
  }

  /** A note of the widget's own, in parts ([key, ...values] each): said again on a language switch. */
  function addNote(...parts) {
    const text = el("p", { class: "rh-text" });
    for (const part of parts.filter(Boolean)) {
      if (text.childElementCount) text.append(" ");
      text.append(el("span", { t: part }));
    }
    return message("system", "system", text);
  }

  // A small form under the note that nobody is there: name, phone or e-mail, the question (prefilled with the
  // last one asked). Sent as chat.callback; the gateway keeps it for staff and confirms in the conversation.
  let callbackForms = 0;
  function addCallbackForm(note) {
    if (log.querySelector(".rh-callback")) return;
    callbackForms += 1;
    const id = (suffix) => `rh-cb-${suffix}-${callbackForms}`;
    const users = log.querySelectorAll(".rh-msg--user .rh-text");
    const last = users.length ? users[users.length - 1].textContent : "";
    const name = el("input", { id: id("name"), class: "rh-input", type: "text", maxlength: "80", autocomplete: "name" });
    const contact = el("input", { id: id("contact"), class: "rh-input", type: "text", maxlength: "120",
      autocomplete: "tel", inputmode: "email" });
    const question = el("textarea", { id: id("question"), class: "rh-input", rows: "2", maxlength: "1000" });
    question.value = last;
    const error = el("p", { class: "rh-callback-error", role: "alert" });
    const field = (input, key) => el("div", { class: "rh-callback-field" },
      el("label", { class: "rh-callback-label", for: input.id, t: key }), input);
    const formEl = el("form", { class: "rh-callback", "aria-labelledby": id("title") },
      el("p", { id: id("title"), class: "rh-callback-title", t: "callbackTitle" }),
      el("p", { class: "rh-callback-privacy", t: "callbackPrivacy" }),
      field(name, "callbackName"), field(contact, "callbackContact"), field(question, "callbackQuestion"),
      error, el("button", { type: "submit", class: "rh-send", t: "callbackSend" }));
    formEl.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!name.value.trim() || contact.value.trim().length < 3) {
        label(error, "callbackMissing");
        (name.value.trim() ? contact : name).focus();
        return;
      }
      const sent = sendFrame({ type: "chat.callback", v: 1, name: name.value.trim().slice(0, 80),
        contact: contact.value.trim().slice(0, 120), question: question.value.trim().slice(0, 1000) });
      if (!sent) {
        label(error, "offline");
        return;
      }
      formEl.remove(); // the gateway's confirmation follows in the conversation
      input.focus();
    });
    formEl.addEventListener("input", () => { error.replaceChildren(); delete error.dataset.t; });
    note.append(formEl);
    scrollToEnd(formEl);
  }

  function renderAnswerBody(entry) {
    const { reply, textEl, noteEl } = entry;
    const easy = state.easy && reply.answer_easy;
    const full = easy ? reply.answer_easy : reply.text;
    // The editors' own summary (content `summary:`) of the standard answer; otherwise its first two sentences.
    const own = !easy && reply.summary && reply.summary !== full ? String(reply.summary) : "";
    const bodyId = `rh-rest-${entry.index}`;
    if (own) {
      // "Mehr dazu" swaps the summary for the whole answer (which says the same at more length)
      const bodyEl = el("span", { id: bodyId });
      setText(bodyEl, entry.expanded ? full : own);
      textEl.replaceChildren(bodyEl);
      entry.moreBtn.hidden = false;
    } else {
      const [head, rest] = summarise(full);
      const restEl = el("span", { class: "rh-rest", id: bodyId, hidden: !entry.expanded });
      setText(restEl, ` ${rest}`);
      const headEl = el("span", {});
      setText(headEl, head);
      textEl.replaceChildren(headEl, rest ? restEl : "");
      entry.moreBtn.hidden = !rest;
    }
    entry.moreBtn.setAttribute("aria-expanded", String(Boolean(entry.expanded)));
    entry.moreBtn.setAttribute("aria-controls", bodyId);
    label(entry.moreBtn, entry.expanded ? "less" : "more");
    textEl.setAttribute("lang", "de");
    entry.node.classList.toggle("rh-msg--easy", Boolean(easy));
    noteEl.hidden = !state.easy;
    label(noteEl, easy ? "easyLabel" : "noEasy");
  }

  function sourcesBlock(sources) {
    const items = [];
    for (const source of sources || []) {
      const href = safeUrl(source && source.url);
      if (!href) continue;
      items.push(el("li", {},
        el("a", { href, target: "_blank", rel: "noopener noreferrer", class: "rh-source" },
          el("span", { lang: "de", text: String(source.title || href) }), " ",
          el("span", { class: "rh-sr", t: "newWindow" }))));
    }
    if (!items.length) return null;
    return el("div", { class: "rh-sources" }, el("p", { class: "rh-meta-label", t: "sources" }),
      el("ul", {}, ...items));
  }

  /** An action's address: a web page (https), a phone number (tel:) or an e-mail address (mailto:). */
  function actionUrl(value) {
    const text = String(value || "");
    if (/^tel:\+?[0-9][0-9 ()\/-]{4,}[0-9]$/.test(text)) return `tel:${text.slice(4).replace(/[^0-9+]/g, "")}`;
    if (/^mailto:[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/.test(text)) return text;
    const href = safeUrl(text);
    return href && href.startsWith("https:") ? href : null;
  }

  /**
   * Link buttons under an answer: the editors' own (content `actions:`, German labels), or else "Termin
   * buchen" (the office's booking page) and "Online-Antrag" (a source that is an online form).
   */
  function actionsBlock(reply) {
    const links = [];
    for (const action of reply.actions || []) {
      const href = actionUrl(action && action.url);
      if (href && action.label && links.length < 3) links.push([null, href, String(action.label)]);
    }
    if (!links.length) {
      const booking = safeUrl(reply.office && reply.office.appointment_url);
      if (booking) links.push(["book", booking]);
      for (const source of reply.sources || []) {
        const href = safeUrl(source && source.url);
        if (href && /online|antrag|portal|formular/i.test(String(source.title || "")) && links.length < 3) {
          links.push(["online", href]);
          break;
        }
      }
    }
    if (!links.length) return null;
    return el("div", { class: "rh-actions", role: "group", ta: { "aria-label": "actions" } },
      ...links.map(([key, href, text]) => {
        const web = href.startsWith("http");
        const name = key ? el("span", { t: key }) : el("span", { lang: "de", text });
        return el("a", { href, class: "rh-action", target: web ? "_blank" : null, rel: web ? "noopener noreferrer" : null },
          name, web ? " " : "", web ? el("span", { class: "rh-sr", t: "newWindow" }) : "");
      }));
  }

  function officeBlock(office) {
    if (!office || !office.name) return null;
    // the office's name is German content; the words around it are the widget's
    const parts = [String(office.name)];
    if (office.phone) parts.push(`${say("officePhone")} ${office.phone}`);
    if (office.email) parts.push(office.email);
    return el("p", { class: "rh-meta", t: ["office", parts.join(", ")] });
  }

  function buttonsBlock(reply) {
    const buttons = (reply.buttons || []).filter((b) => b && b.title);
    if (!buttons.length) return null;
    const group = el("div", { class: "rh-choices", role: "group",
      ta: { "aria-label": reply.kind === "clarify" ? "clarify" : "choices" } });
    for (const b of buttons) {
      const btn = el("button", { type: "button", class: "rh-choice", lang: "de", text: String(b.title) });
      btn.addEventListener("click", () => {
        for (const other of group.querySelectorAll("button")) other.classList.remove("rh-chosen");
        btn.classList.add("rh-chosen");
        sendText(String(b.title), b.payload ? String(b.payload) : null);
      });
      group.append(btn);
    }
    return group;
  }

  function feedbackBlock(reply) {
    const thanks = el("p", { class: "rh-thanks" });
    const group = el("div", { class: "rh-feedback", role: "group", ta: { "aria-label": "feedbackQ" } },
      el("span", { class: "rh-feedback-q", "aria-hidden": "true", t: "feedbackQ" }));
    const buttons = {};
    for (const rating of ["up", "down"]) {
      const btn = el("button", {
        type: "button", class: `rh-rate rh-rate--${rating}`, ta: { "aria-label": rating },
        "aria-pressed": String(state.ratings[reply.id] === rating),
      }, icon(rating));
      btn.addEventListener("click", () => {
        state.ratings[reply.id] = rating;
        store.set(KEY_RATINGS, JSON.stringify(state.ratings));
        for (const [key, other] of Object.entries(buttons)) other.setAttribute("aria-pressed", String(key === rating));
        sendFrame({ type: "chat.feedback", v: 1, message_id: String(reply.id), rating });
        label(thanks, "thanks");
      });
      buttons[rating] = btn;
      group.append(btn);
    }
    return el("div", { class: "rh-feedback-wrap" }, group, thanks);
  }

  /**
   * The answer text without the plain-text footer that text-only channels get from the bot
   * ("Zuständig: ...", "Quelle: ...", "Stand: ..."): the widget shows those parts structured.
   */
  function answerText(reply) {
    const structured = {
      "Zuständig:": Boolean(reply.office && reply.office.name),
      "Quelle:": (reply.sources || []).length > 0,
      "Stand:": Boolean(reply.last_reviewed),
    };
    return String(reply.text || "").split("\n")
      .filter((line) => !Object.entries(structured).some(([prefix, shown]) => shown && line.startsWith(prefix)))
      .join("\n").trim();
  }

  function addReply(reply) {
    if (reply.id) {
      if (state.seen.has(reply.id)) return;
      state.seen.add(reply.id);
    }
    const sender = reply.sender === "staff" ? "staff" : reply.sender === "system" ? "system" : "bot";
    const textEl = el("p", { class: "rh-text" });
    const isAnswer = sender === "bot" && reply.kind === "answer";
    // A question in another language: one line in that language first (answers stay German).
    const note = reply.language_note ? String(reply.language_note) : "";
    const langNote = note
      ? el("p", { class: "rh-language-note", lang: reply.language ? String(reply.language) : null,
          dir: reply.language === "ar" ? "rtl" : null, text: note })
      : null;
    if (!isAnswer) {
      let text = String(reply.text || "");
      if (note && text.startsWith(note)) text = text.slice(note.length).trim();
      if (text) {
        setText(textEl, text);
        textEl.setAttribute("lang", "de"); // the assistant's and the staff's words: German content
      } else if (reply.kind === "clarify") {
        label(textEl, "clarify");
      }
      if (reply.kind === "disclosure") {
        // The greeting above already says this is an AI; the bot's full disclosure stays one click away.
        message(sender, sender, langNote, el("details", { class: "rh-disclosure" },
          el("summary", { t: "disclosureMore" }), textEl), buttonsBlock(reply));
        return;
      }
      message(sender, sender, langNote, textEl.textContent ? textEl : null, buttonsBlock(reply));
      return;
    }
    const noteEl = el("p", { class: "rh-easy-note", hidden: true });
    const reviewed = reply.last_reviewed
      ? el("p", { class: "rh-meta rh-reviewed", t: ["reviewed", germanDate(reply.last_reviewed)] })
      : null;
    const moreBtn = el("button", { type: "button", class: "rh-more", "aria-expanded": "false", t: "more" });
    const node = message("bot", "bot", langNote,
      reply.title ? el("p", { class: "rh-answer-title", lang: "de", text: String(reply.title) }) : null,
      noteEl, textEl, moreBtn, actionsBlock(reply), buttonsBlock(reply), officeBlock(reply.office),
      sourcesBlock(reply.sources), reviewed, reply.id ? feedbackBlock(reply) : null);
    const entry = { reply: { ...reply, text: answerText(reply),
      answer_easy: reply.answer_easy ? String(reply.answer_easy) : null }, node, textEl, noteEl, moreBtn,
      index: state.answers.length, expanded: false };
    moreBtn.addEventListener("click", () => { entry.expanded = !entry.expanded; renderAnswerBody(entry); });
    state.answers.push(entry);
    renderAnswerBody(entry);
  }

  function addStatus(frame, live = true) {
    // the same state again: a new place in the queue, or the status the gateway resends after a reload
    // (which the history already shows): no second "ist jetzt für Sie da" under the staff's messages
    const repeat = frame.status === state.handoff && routedToStaff();
    state.handoff = frame.status;
    state.position = frame.position || null;
    const phone = cityPhone();
    const callUs = frame.status === "handoff_timeout" && phone && !String(frame.text || "").includes(phone);
    if (frame.status === "handoff_unavailable") state.staffOnline = false;
    // the gateway's text is German (and so is the phone sentence added to it); without one, the widget's own
    let note = null; // a new place in the queue only updates the bar
    if (!repeat && frame.text) {
      note = addSystem(callUs ? `${frame.text} ${STRINGS.de.callUs(phone)}` : String(frame.text));
    } else if (!repeat) {
      note = addNote(STRINGS.de.status[frame.status] && [`status.${frame.status}`], callUs && ["callUs", phone]);
    }
    if (note && live && (frame.status === "handoff_unavailable" || frame.status === "handoff_timeout")) {
      addCallbackForm(note);
    }
    if (live && frame.status !== "handoff_waiting" && frame.status !== "handoff_active") setPending(false);
    updateHandoffUi();
  }

  function routedToStaff() {
    return state.handoff === "handoff_waiting" || state.handoff === "handoff_active";
  }

  function updateAvailability() {
    if (state.staffOnline === null) return;
    availEl.hidden = routedToStaff();
    label(availEl, state.staffOnline ? "available" : "unavailableNow");
    availEl.classList.toggle("rh-avail--on", Boolean(state.staffOnline));
  }

  function updateHandoffUi() {
    const waiting = state.handoff === "handoff_waiting";
    handoffBar.hidden = !routedToStaff();
    barText.textContent = waiting
      ? `${say("barWaiting")} ${state.position ? say("barPosition", [state.position]) : ""}`.trim()
      : say("barActive");
    cancelBtn.hidden = !waiting;
    updateAvailability();
    const busy = routedToStaff();
    humanBtn.setAttribute("aria-disabled", String(busy));
    label(humanBtn.querySelector("span"), busy ? "humanBusy" : "human");
    const human = state.handoff === "handoff_active";
    label(noticeEl, human ? "noticeHuman" : "notice");
    panel.classList.toggle("rh-with-human", human);
  }

  function renderHistory(messages) {
    log.replaceChildren();
    state.answers = [];
    state.seen.clear();
    addGreeting();
    for (const m of messages || []) {
      if (!m || typeof m !== "object") continue;
      if (m.type === "chat.user") addUser(String(m.text || ""));
      else if (m.type === "chat.reply") addReply(m);
      else if (m.type === "chat.status") addStatus(m, false);
    }
  }

  // ------------------------------------------------------------------ pending indicator
  function setPending(on, text = say("typing"), timeoutMs = REPLY_TIMEOUT_MS) {
    clearTimeout(state.pendingTimer);
    clearTimeout(state.noteTimer);
    typing.hidden = !on;
    typing.textContent = on ? text : "";
    panel.setAttribute("aria-busy", String(on));
    if (on) {
      state.pendingTimer = setTimeout(() => { setPending(false); addNote(["timeout"]); }, timeoutMs);
    }
  }

  // ------------------------------------------------------------------ staff typing
  function showStaffTyping(name) {
    clearTimeout(state.staffTypingTimer);
    if (staffTyping.hidden) {
      staffTyping.hidden = false;
      staffTyping.textContent = say("staffTyping", [name]);
    }
    state.staffTypingTimer = setTimeout(hideStaffTyping, STAFF_TYPING_MS);
  }

  function hideStaffTyping() {
    clearTimeout(state.staffTypingTimer);
    staffTyping.hidden = true;
    staffTyping.textContent = "";
  }

  // ------------------------------------------------------------------ transport
  function handleFrame(frame) {
    if (!frame || typeof frame !== "object") return;
    switch (frame.type) {
      case "chat.session":
        state.session = String(frame.session);
        store.set(KEY_SESSION, state.session);
        break;
      case "chat.history":
        renderHistory(frame.messages);
        break;
      case "chat.reply":
        setPending(false);
        if (frame.sender === "staff") hideStaffTyping();
        addReply(frame);
        break;
      case "chat.status":
        if (frame.status !== "handoff_active") hideStaffTyping();
        addStatus(frame);
        break;
      case "chat.typing":
        if (state.handoff === "handoff_active") showStaffTyping(frame.name ? String(frame.name) : "");
        break;
      case "chat.availability":
        state.staffOnline = Boolean(frame.staff_online);
        updateAvailability();
        break;
      case "chat.waiting":
        // Many questions at once: the question is queued, not lost. The status line (role=status)
        // reads the gateway's German text out, and the reply timeout grows to cover the wait.
        setPending(true, String(frame.text || say("waiting")), QUEUED_TIMEOUT_MS);
        break;
      case "error":
        setPending(false);
        if (frame.message) addSystem(String(frame.message));
        else addNote(["error"]);
        break;
      default:
        break; // unknown frames from a newer gateway are ignored
    }
  }

  function connect() {
    // the WebSocket path comes from /api/config, so wait for it (it falls back to defaults on error)
    loadConfig().then(openSocket);
  }

  function openSocket() {
    if (state.httpOnly) return;
    if (state.ws && (state.ws.readyState === WebSocket.OPEN || state.ws.readyState === WebSocket.CONNECTING)) return;
    clearTimeout(state.reconnectTimer);
    const url = new URL(chatPath(), WS_ORIGIN);
    if (state.session) url.searchParams.set("session", state.session);
    let ws;
    try {
      ws = new WebSocket(url.href);
    } catch (_) {
      state.httpOnly = true;
      return;
    }
    state.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      state.wsOpened = true;
      state.wsFailures = 0;
      const queued = state.outbox.splice(0);
      for (const frame of queued) ws.send(JSON.stringify(frame));
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let frame;
      try { frame = JSON.parse(event.data); } catch (_) { return; }
      handleFrame(frame);
    });
    ws.addEventListener("close", () => {
      if (state.ws === ws) state.ws = null;
      if (!opened) state.wsFailures += 1;
      // Never connected at all (proxy without WebSocket support): use the HTTP fallback from now on.
      if (!state.wsOpened && state.wsFailures >= 2) {
        state.httpOnly = true;
        flushOutboxHttp();
        return;
      }
      // Full jitter, so a gateway restart does not bring every open widget back in the same instant.
      const ceiling = Math.min(15000, 1000 * 2 ** Math.min(state.wsFailures, 4));
      state.reconnectTimer = setTimeout(connect, 250 + Math.random() * ceiling);
      if (state.outbox.length) flushOutboxHttp();
    });
  }

  function flushOutboxHttp() {
    // questions go over HTTP now; feedback and hand-off wait for the WebSocket (they need it)
    const queued = state.outbox.splice(0);
    for (const frame of queued) {
      if (frame.type === "chat.send") postChat(frame);
      else if (!state.httpOnly) state.outbox.push(frame);
    }
  }

  async function postChat(frame) {
    try {
      const response = await fetch(`${BASE}/api/chat`, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session: state.session, text: frame.text, payload: frame.payload }),
      });
      const data = await response.json().catch(() => null);
      if (!response.ok || !data) {
        setPending(false);
        if (data && data.message) addSystem(String(data.message));
        else addNote(["error"]);
        return;
      }
      if (data.session) {
        state.session = String(data.session);
        store.set(KEY_SESSION, state.session);
      }
      setPending(false);
      for (const reply of data.replies || []) addReply(reply);
    } catch (_) {
      setPending(false);
      addNote(["offline"]);
    }
  }

  function sendFrame(frame) {
    const ws = state.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    if (frame.type === "chat.send" && state.httpOnly) {
      postChat(frame);
      return true;
    }
    if (state.httpOnly) return false; // feedback / hand-off need the live connection
    state.outbox.push(frame);
    connect();
    return true;
  }

  function sendText(text, payload) {
    const clean = text.trim();
    if (!clean) return;
    addUser(clean);
    if (routedToStaff()) {
      // Staff answers when they can: no "searching" indicator and no timeout, only a receipt.
      const sent = log.lastElementChild;
      sent.append(el("p", { class: "rh-ack", t: state.handoff === "handoff_active" ? "ackActive" : "ackWaiting" }));
    } else {
      setPending(true);
    }
    sendFrame({ type: "chat.send", v: 1, text: clean.slice(0, 1000), payload: payload || null });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) {
      input.focus();
      return;
    }
    input.value = "";
    sendText(text, null);
    input.focus();
  });

  easyBtn.addEventListener("click", () => {
    state.easy = !state.easy;
    store.set(KEY_EASY, state.easy ? "1" : "0");
    easyBtn.setAttribute("aria-pressed", String(state.easy));
    for (const entry of state.answers) renderAnswerBody(entry);
    if (panel.getAttribute("aria-busy") === "true") return; // "Die Antwort wird gesucht" stays
    showNote(say(state.easy ? "easyOn" : "easyOff"));
  });

  /** A short note in the status line (read out by screen readers), gone after a few seconds. */
  function showNote(text) {
    clearTimeout(state.noteTimer);
    typing.hidden = false;
    typing.textContent = text;
    state.noteTimer = setTimeout(() => { typing.hidden = true; typing.textContent = ""; }, 6000);
  }

  /** The panel's language: lang attributes, and every text of the widget's own said again. */
  function applyLang() {
    wrapper.setAttribute("lang", lang);
    panel.setAttribute("lang", lang);
    langBtn.setAttribute("lang", say("langSwitchLang"));
  }

  langBtn.addEventListener("click", () => {
    lang = lang === "de" ? "en" : "de";
    T = STRINGS[lang];
    try { window.localStorage.setItem(KEY_LANG, lang); } catch (_) { /* private mode: for this page only */ }
    applyLang();
    relabel(root);
    for (const entry of state.answers) renderAnswerBody(entry);
    updateHandoffUi();
    if (panel.getAttribute("aria-busy") !== "true") showNote(say("langOn"));
  });

  cancelBtn.addEventListener("click", () => {
    sendFrame({ type: "chat.handoff_cancel", v: 1 });
    input.focus();
  });

  humanBtn.addEventListener("click", () => {
    if (humanBtn.getAttribute("aria-disabled") === "true") return;
    const ok = sendFrame({ type: "chat.handoff", v: 1 });
    if (!ok) {
      const phone = cityPhone();
      addNote(["handoffOffline"], phone && ["callUs", phone]);
    }
  });

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
