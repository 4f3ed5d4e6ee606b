/*
 * The transcript a viewer reads and searches: subtitle cues joined into sentences and paragraphs.
 *
 * Cues are cut for the screen (two lines of 37 characters), not for reading: a sentence runs over several
 * cues ("… für das kommende" / "Jahr. Die Kämmerin …"), and a cue may start with a comma. The pure part
 * (join, clean, highlight) turns cues into paragraphs of whole sentences:
 *
 * - text is re-split at sentence ends (. ! ? …) and joined with one space, never a space before
 *   punctuation; no sentence and no paragraph starts with punctuation;
 * - a sentence starts at the time of its first word, estimated by its position in the cue (the cue has no
 *   word times);
 * - a new paragraph after a pause of `pauseS` seconds between cues, or after `maxSentences` sentences.
 *
 * createView() is the DOM shell shared by the live page and the recordings page: it renders paragraphs
 * with a time stamp each (a button that seeks the video where there is one), keeps the DOM nodes of
 * sentences that did not change (a screen reader in the role=log region hears only what is new), and runs
 * the search: every match marked, "n von m" announced, Enter / the buttons jump to the next or previous.
 * Untrusted text only ever goes into textContent.
 *
 * Exposed as window.RathausTranscript (no module loader on the page).
 */
(() => {
  "use strict";

  const SENTENCE_END = /[.!?…]["'»«“”)]*$/;
  const PIECES = /[^.!?…]*[.!?…]+["'»«“”)]*|[^.!?…]+$/g;
  const LEADING_PUNCT = /^[\s,;:.!?…]+/;

  /** One line of text: single spaces, no space before punctuation, none inside brackets' edges. */
  function clean(text) {
    return String(text || "")
      .replace(/\s+/g, " ")
      .replace(/\s+([,;:.!?…)»“])/g, "$1")
      .replace(/([(„«])\s+/g, "$1")
      .trim();
  }

  /**
   * Cues ({start, end, text} or {start, end, lines}) in time order -> paragraphs
   * [{start, sentences: [{start, end, text}]}]. The input is not changed.
   */
  function join(entries, { pauseS = 3, maxSentences = 6 } = {}) {
    const paragraphs = [];
    let paragraph = null;
    let open = null; // the sentence still waiting for its end
    let lastEnd = -Infinity;
    for (const entry of entries || []) {
      const start = Number(entry.start) || 0;
      const end = Math.max(start, Number(entry.end) || 0);
      const text = clean(entry.text !== undefined ? entry.text : (entry.lines || []).join(" "));
      if (!text) continue;
      if (!paragraph || start - lastEnd >= pauseS || (!open && paragraph.sentences.length >= maxSentences)) {
        paragraph = { start, sentences: [] };
        paragraphs.push(paragraph);
        open = null;
      }
      lastEnd = end;
      const pieces = text.match(PIECES) || [];
      let offset = 0;
      for (const raw of pieces) {
        const at = start + ((end - start) * offset) / Math.max(1, text.length);
        offset += raw.length;
        let piece = raw.trim();
        if (!piece) continue;
        if (open) {
          open.text = clean(`${open.text} ${piece}`);
          open.end = end;
        } else {
          piece = piece.replace(LEADING_PUNCT, "");
          if (!piece) continue;
          if (paragraph.sentences.length >= maxSentences) {
            paragraph = { start: at, sentences: [] };
            paragraphs.push(paragraph);
          }
          open = { start: at, end, text: clean(piece) };
          if (!paragraph.sentences.length) paragraph.start = at;
          paragraph.sentences.push(open);
        }
        if (SENTENCE_END.test(open.text)) open = null;
      }
    }
    return paragraphs;
  }

  /** `text` cut into [{text, match}] parts: every case-insensitive occurrence of `query` is a match. */
  function highlight(text, query) {
    const source = String(text || "");
    const needle = String(query || "").trim().toLocaleLowerCase("de");
    if (!needle) return [{ text: source, match: false }];
    const haystack = source.toLocaleLowerCase("de");
    const parts = [];
    let from = 0;
    for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
      if (at > from) parts.push({ text: source.slice(from, at), match: false });
      parts.push({ text: source.slice(at, at + needle.length), match: true });
      from = at + needle.length;
    }
    if (from < source.length || !parts.length) parts.push({ text: source.slice(from), match: false });
    return parts;
  }

  /** "1:05" or "1:02:05" for seconds. */
  function clock(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  // ------------------------------------------------------------------------------------------ DOM shell
  function element(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  /** The search form ("In der Mitschrift suchen", previous/next, status), built into `host`. */
  function searchForm(host) {
    const input = element("input", { type: "search", id: "search", name: "q", autocomplete: "off" });
    input.setAttribute("aria-describedby", "search-status");
    const prev = element("button", { type: "button", id: "search-prev", disabled: true }, "Vorheriger Treffer");
    const next = element("button", { type: "button", id: "search-next", disabled: true }, "Nächster Treffer");
    const status = element("p", { id: "search-status", className: "search-status" });
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const form = element("form", { className: "transcript-search" },
      element("label", { htmlFor: "search" }, "In der Mitschrift suchen"),
      element("div", { className: "search-row" }, input, prev, next), status);
    form.setAttribute("role", "search");
    form.setAttribute("aria-label", "Mitschrift durchsuchen");
    form.addEventListener("submit", (event) => event.preventDefault());
    host.replaceChildren(form);
    return { input, prev, next, status };
  }

  /**
   * The transcript in `container` (role=log), with its search form built into `searchHost`.
   * `seek(seconds)`: time stamps become buttons that call it (recordings); without it they are text.
   */
  function createView({ container, empty, searchHost, seek, pauseS, maxSentences }) {
    const search = searchHost ? searchForm(searchHost) : null;
    const entries = [];
    let query = "";
    let current = -1;

    function atEnd() {
      return container.scrollHeight - container.scrollTop - container.clientHeight < 40;
    }

    function stamp(paragraph) {
      const label = clock(paragraph.start);
      if (!seek) {
        const time = document.createElement("span");
        time.className = "para-time";
        time.textContent = label;
        return time;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "para-time";
      button.textContent = label;
      button.setAttribute("aria-label", `Video bei ${label} abspielen`);
      button.addEventListener("click", () => seek(Number(button.dataset.start)));
      return button;
    }

    function fill(span, text) {
      span.dataset.text = text;
      span.replaceChildren(...highlight(text, query).map((part) => {
        if (!part.match) return document.createTextNode(part.text);
        const mark = document.createElement("mark");
        mark.textContent = part.text;
        return mark;
      }));
    }

    function render() {
      const stick = atEnd();
      const paragraphs = join(entries, { pauseS, maxSentences });
      if (empty) empty.hidden = paragraphs.length > 0;
      const nodes = container.querySelectorAll(":scope > .para");
      for (let i = nodes.length - 1; i >= paragraphs.length; i -= 1) nodes[i].remove();
      paragraphs.forEach((paragraph, i) => {
        let node = container.querySelectorAll(":scope > .para")[i];
        if (!node) {
          node = document.createElement("p");
          node.className = "para";
          node.append(stamp(paragraph));
          container.append(node);
        }
        const time = node.querySelector(".para-time");
        if (time.dataset.start !== String(paragraph.start)) {
          time.dataset.start = String(paragraph.start);
          const label = clock(paragraph.start);
          if (time.textContent !== label) {
            time.textContent = label;
            if (seek) time.setAttribute("aria-label", `Video bei ${label} abspielen`);
          }
        }
        const spans = node.querySelectorAll(".sentence");
        for (let j = spans.length - 1; j >= paragraph.sentences.length; j -= 1) spans[j].remove();
        paragraph.sentences.forEach((sentence, j) => {
          let span = node.querySelectorAll(".sentence")[j];
          if (!span) {
            span = document.createElement("span");
            span.className = "sentence";
            node.append(" ", span);
          }
          span.dataset.start = String(sentence.start);
          if (span.dataset.text !== sentence.text) fill(span, sentence.text);
        });
      });
      if (query) count();
      if (stick) container.scrollTop = container.scrollHeight;
    }

    function marks() {
      return Array.from(container.querySelectorAll("mark"));
    }

    function count() {
      const all = marks();
      if (!search) return all;
      if (!query) search.status.textContent = "";
      else if (!all.length) search.status.textContent = "Keine Treffer";
      else if (current >= 0) search.status.textContent = `Treffer ${current + 1} von ${all.length}`;
      else search.status.textContent = `${all.length} Treffer`;
      search.prev.disabled = search.next.disabled = all.length === 0;
      return all;
    }

    function jump(step) {
      const all = marks();
      if (!all.length) return;
      current = current < 0 ? (step > 0 ? 0 : all.length - 1) : (current + step + all.length) % all.length;
      all.forEach((mark, i) => mark.classList.toggle("is-current", i === current));
      all[current].scrollIntoView({ block: "nearest" });
      count();
    }

    function find(text) {
      query = String(text || "").trim();
      current = -1;
      container.querySelectorAll(".sentence").forEach((span) => fill(span, span.dataset.text || ""));
      count();
    }

    if (search) {
      search.input.addEventListener("input", () => find(search.input.value));
      search.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          jump(event.shiftKey ? -1 : 1);
        }
      });
      search.next.addEventListener("click", () => jump(1));
      search.prev.addEventListener("click", () => jump(-1));
      count();
    }

    return {
      /** One more cue ({start, end, lines}); the transcript re-joins and renders what changed. */
      add(entry) { entries.push(entry); render(); },
      /** All cues at once (a recording's subtitle track). */
      setAll(list) { entries.splice(0, entries.length, ...list); render(); },
      find,
      jump,
    };
  }

  window.RathausTranscript = Object.freeze({ clean, join, highlight, clock, createView });
})();
