/*
 * Staff console, correcting the subtitles of recorded meetings (/api/staff/recordings, channels/recording_routes.py).
 * Part of the console (staff.js, window.RathausStaff); shown only where the gateway has recordings and the
 * logged-in staff may edit them (the API answers; otherwise the section stays hidden).
 *
 * An editor picks a recording, corrects the text of cues (one textarea per cue; a line break is a new line)
 * and saves the changed cues only, with the version they were loaded at (If-Match): if someone else saved
 * in between, the gateway answers 409 and nothing is lost silently: the editor is told and reloads. Or
 * uploads a corrected WebVTT file. The rules (at most 2 lines of at most 37 characters) are shown while
 * typing and checked before saving (the gateway checks again). Once edited, the original is shown under
 * each changed cue and can be restored. Untrusted text is inserted with textContent only.
 */
(() => {
  "use strict";

  const staff = window.RathausStaff;
  const { $, el } = staff;
  const MAX_LINES = 2;
  const MAX_CHARS = 37;
  const els = {
    section: $("rec-editor"), title: $("rec-title"), select: $("rec-select"), status: $("rec-status"),
    error: $("rec-error"), body: $("rec-body"), meta: $("rec-meta"), view: $("rec-view"), form: $("rec-form"),
    cues: $("rec-cues"), reload: $("rec-reload"), upload: $("rec-upload"), file: $("rec-file"),
    original: $("rec-original"), restore: $("rec-restore"), confirm: $("rec-restore-confirm"),
    restoreYes: $("rec-restore-yes"), restoreNo: $("rec-restore-no"), originalList: $("rec-original-list"),
    originalSummary: $("rec-original-summary"),
  };
  const state = { id: null, loaded: null };
  const ACTIONS = { text: "Text korrigiert", upload: "Datei hochgeladen", restore: "Original wiederhergestellt" };

  const api = (path) => `${staff.base()}/api/staff/recordings${path}`;

  function time(seconds) {
    const s = Math.floor(Number(seconds) || 0);
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
    return `${h ? `${h}:` : ""}${mm}:${String(s % 60).padStart(2, "0")}`;
  }

  function germanDate(iso) {
    const date = new Date(iso);
    return `${date.toLocaleDateString("de-DE", { day: "numeric", month: "long", year: "numeric" })}, `
      + `${date.toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" })} Uhr`;
  }

  function linesOf(text) {
    return String(text).trim().split("\n").map((line) => line.trim());
  }

  /** What is wrong with one cue's text, in German (empty: nothing). */
  function problems(number, text) {
    const lines = linesOf(text);
    if (!lines.join("").trim()) return [`Untertitel ${number} ist leer.`];
    const found = [];
    if (lines.length > MAX_LINES) found.push(`Untertitel ${number} hat ${lines.length} Zeilen; erlaubt sind höchstens ${MAX_LINES}.`);
    lines.forEach((line, i) => {
      if (line.length > MAX_CHARS) {
        found.push(`Untertitel ${number}, Zeile ${i + 1} hat ${line.length} Zeichen; erlaubt sind höchstens ${MAX_CHARS}.`);
      }
    });
    return found;
  }

  function showError(messages) {
    els.error.replaceChildren();
    if (!messages.length) return;
    if (messages.length === 1) {
      els.error.textContent = messages[0];
      return;
    }
    els.error.append(el("p", {}, "Bitte korrigieren Sie zuerst:"), el("ul", {}, ...messages.map((m) => el("li", {}, m))));
  }

  async function request(path, options) {
    const response = await fetch(api(path), {
      ...options, headers: { Accept: "application/json", ...staff.authHeaders(), ...(options && options.headers) },
    });
    const body = await response.json().catch(() => null);
    return { response, body };
  }

  // ------------------------------------------------------------------ list and load
  async function loadList() {
    let result;
    try {
      result = await request("");
    } catch (_) {
      return;
    }
    const list = result.response.ok && result.body && Array.isArray(result.body.recordings) ? result.body.recordings : null;
    if (!list) return; // no recordings here, or not allowed
    els.section.hidden = false;
    els.select.replaceChildren(el("option", { value: "" }, "Bitte wählen …"));
    for (const recording of list) {
      const label = `${recording.title} (${new Date(recording.date).toLocaleDateString("de-DE")})`
        + (recording.edited ? " – korrigiert" : "");
      els.select.append(el("option", { value: recording.id }, label));
    }
    if (state.id) els.select.value = state.id;
  }

  async function load(id, message) {
    state.id = id;
    showError([]);
    els.status.textContent = message || "";
    if (!id) {
      els.body.hidden = true;
      return;
    }
    let result;
    try {
      result = await request(`/${encodeURIComponent(id)}/untertitel`);
    } catch (_) { /* below */ }
    if (!result || !result.response.ok || !result.body) {
      showError(["Die Untertitel können gerade nicht geladen werden. Bitte versuchen Sie es gleich noch einmal."]);
      els.body.hidden = true;
      return;
    }
    state.loaded = result.body;
    render();
  }

  function render() {
    const data = state.loaded;
    els.body.hidden = false;
    els.view.href = `/aufzeichnungen/${encodeURIComponent(data.id)}`;
    const last = data.edits.length ? data.edits[data.edits.length - 1] : null;
    els.meta.textContent = last
      ? `${data.cues.length} Untertitel · zuletzt bearbeitet von ${last.by} am ${germanDate(last.at)} (${ACTIONS[last.action] || last.action}) · ${data.edits.length} Bearbeitung${data.edits.length === 1 ? "" : "en"}`
      : `${data.cues.length} Untertitel · noch nicht bearbeitet: automatisch erstellt`;
    const original = new Map((data.original || []).map((c) => [`${c.start}-${c.end}`, c.lines.join(" / ")]));
    els.cues.replaceChildren();
    for (const cue of data.cues) {
      const id = `rec-cue-${cue.number}`;
      const count = el("p", { class: "hint rec-count", id: `${id}-count` });
      const area = el("textarea", { id, rows: "2", "aria-describedby": `${id}-count rec-rules`, spellcheck: "true" });
      area.value = cue.lines.join("\n");
      area.dataset.number = String(cue.number);
      area.dataset.loaded = area.value;
      const label = el("label", { for: id }, `${time(cue.start)}–${time(cue.end)}`);
      label.setAttribute("aria-label", `Untertitel ${cue.number}, ${time(cue.start)} bis ${time(cue.end)}`);
      const item = el("li", { class: "rec-cue" }, label, area, count);
      const was = original.get(`${cue.start}-${cue.end}`);
      if (was !== undefined && was !== cue.lines.join(" / ")) {
        item.append(el("p", { class: "rec-was" }, `Original: ${was}`));
      }
      els.cues.append(item);
      check(area);
    }
    els.original.hidden = !data.original;
    els.originalList.replaceChildren(...(data.original || []).map((c) => el("li", {},
      el("span", { class: "rec-time" }, `${time(c.start)}–${time(c.end)}`), " ", c.lines.join(" / "))));
    els.originalSummary.textContent = `Ganzes Original anzeigen (${(data.original || []).length} Untertitel)`;
    els.confirm.hidden = true;
    els.restore.hidden = false;
  }

  /** The live count under a cue ("Zeile 1: 30 von 37 Zeichen"), and whether it breaks a rule. */
  function check(area) {
    const lines = linesOf(area.value);
    const item = area.closest(".rec-cue");
    const count = item.querySelector(".rec-count");
    const wrong = problems(area.dataset.number, area.value);
    count.textContent = wrong.length ? wrong.join(" ")
      : lines.map((line, i) => `Zeile ${i + 1}: ${line.length} von ${MAX_CHARS} Zeichen`).join(" · ");
    item.classList.toggle("rec-cue--invalid", wrong.length > 0);
    item.classList.toggle("rec-cue--changed", area.value !== area.dataset.loaded);
    area.setAttribute("aria-invalid", wrong.length ? "true" : "false");
    return wrong;
  }

  // ------------------------------------------------------------------ changes
  async function change(path, init, done) {
    showError([]);
    els.status.textContent = "Wird gespeichert …";
    let result;
    try {
      result = await request(path, {
        ...init, headers: { "If-Match": `"${state.loaded.version}"`, ...(init.headers || {}) },
      });
    } catch (_) { /* below */ }
    if (!result) {
      els.status.textContent = "";
      showError(["Keine Verbindung zum Server. Ihre Änderungen sind noch nicht gespeichert."]);
      return;
    }
    const { response, body } = result;
    if (response.ok && body) {
      state.loaded = body;
      render();
      els.status.textContent = done;
      loadList();
      return;
    }
    els.status.textContent = "";
    if (response.status === 409) {
      // someone else saved first: say so, keep this editor's text on screen until they choose to reload
      showError([(body && body.message) || "Jemand anderes hat diese Untertitel inzwischen gespeichert."]);
      return;
    }
    if (response.status === 401) {
      staff.stop("Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich neu an.");
      return;
    }
    showError((body && body.problems) || [(body && body.message) || "Speichern ist gerade nicht möglich."]);
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!state.loaded) return;
    const areas = [...els.cues.querySelectorAll("textarea")];
    const changed = areas.filter((a) => a.value !== a.dataset.loaded);
    const wrong = changed.flatMap((a) => check(a));
    if (wrong.length) {
      showError(wrong);
      const first = changed.find((a) => a.getAttribute("aria-invalid") === "true");
      if (first) first.focus();
      return;
    }
    if (!changed.length) {
      els.status.textContent = "Keine Änderungen zu speichern.";
      return;
    }
    const changes = changed.map((a) => ({ number: Number(a.dataset.number), text: linesOf(a.value).join("\n") }));
    change(`/${encodeURIComponent(state.id)}/untertitel`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ changes }),
    }, changed.length === 1 ? "1 Untertitel gespeichert. Die Aufzeichnung zeigt jetzt die korrigierte Fassung."
      : `${changed.length} Untertitel gespeichert. Die Aufzeichnung zeigt jetzt die korrigierte Fassung.`);
  });

  els.cues.addEventListener("input", (event) => {
    if (event.target instanceof HTMLTextAreaElement) check(event.target);
  });

  els.upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = els.file.files && els.file.files[0];
    if (!state.loaded || !file) {
      showError(["Bitte wählen Sie zuerst eine WebVTT-Datei (.vtt) aus."]);
      els.file.focus();
      return;
    }
    await change(`/${encodeURIComponent(state.id)}/untertitel/datei`, {
      method: "POST", headers: { "Content-Type": "text/vtt" }, body: await file.text(),
    }, "Datei übernommen. Die Aufzeichnung zeigt jetzt die hochgeladenen Untertitel.");
    els.file.value = "";
  });

  els.select.addEventListener("change", () => load(els.select.value));
  els.reload.addEventListener("click", () => load(state.id, "Neu geladen."));
  els.restore.addEventListener("click", () => {
    els.confirm.hidden = false;
    els.restore.hidden = true;
    els.restoreNo.focus();
  });
  els.restoreNo.addEventListener("click", () => {
    els.confirm.hidden = true;
    els.restore.hidden = false;
    els.restore.focus();
  });
  els.restoreYes.addEventListener("click", async () => {
    await change(`/${encodeURIComponent(state.id)}/untertitel/original`, { method: "POST" },
      "Das Original ist wiederhergestellt.");
    els.title.focus();
  });

  staff.onStart(loadList);
  staff.onStop(() => {
    state.id = null;
    state.loaded = null;
    els.section.hidden = true;
    els.body.hidden = true;
  });
})();
