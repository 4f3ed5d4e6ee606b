/*
 * Caption scheduling for the live viewer: which caption lines are on screen at a given time.
 *
 * A sans-I/O core: the shell (live.js) feeds it finished cues, provisional text and a clock in seconds,
 * and renders what view() returns. It owns no timer and touches no DOM, so the rules are plain to read:
 *
 * - A finished cue stays on screen at least its reading time: max(1 s, characters / 15 cps) (the German
 *   broadcast rules in DOMAIN.md). A newer cue that would push it away waits in a queue until then.
 * - The clock is stream time (seconds of the subtitle service's audio): the picture's playback position
 *   with video, an estimate of the live edge without. A cue is not shown before its start: early cues are
 *   held until the picture catches up. A waiting cue that ended more than `lag` seconds ago is dropped
 *   (it is in the transcript): a late joiner's history, or a backlog, never plays in slow motion.
 * - Roll-up (default): finished lines move up, the newest at the bottom, at most `rows` lines; provisional
 *   text has its own bottom line (at most 37 characters), so it never replaces a finished line.
 * - Pop-on: one finished cue at a time (at most two lines); provisional text is held back while a finished
 *   cue is within its reading time or cues are waiting, and then shown on at most two lines.
 * - Nothing on screen after `idle` seconds without a newer cue (no empty box: the view is then empty).
 *
 * Exposed as window.RathausCaptions (no module loader on the page).
 */
(() => {
  "use strict";

  const LINE_CHARS = 37;
  const CPS = 15;
  const MIN_S = 1;

  /** Reading time of a cue in seconds: at least 1 s, at most 15 characters per second. */
  function minDisplay(lines) {
    const chars = lines.join(" ").length;
    return Math.max(MIN_S, chars / CPS);
  }

  /** The last `maxLines` lines of at most `width` characters of `text`, broken at spaces. */
  function tailLines(text, maxLines, width = LINE_CHARS) {
    const words = String(text || "").trim().split(/\s+/).filter(Boolean);
    const lines = [];
    let current = "";
    for (let i = words.length - 1; i >= 0; i -= 1) {
      const word = words[i].length > width ? words[i].slice(-width) : words[i];
      if (!current) current = word;
      else if (current.length + 1 + word.length <= width) current = `${word} ${current}`;
      else {
        lines.unshift(current);
        if (lines.length === maxLines) return lines;
        current = word;
      }
    }
    if (current) lines.unshift(current);
    return lines.slice(-maxLines);
  }

  /**
   * @param {{mode?: "rollup"|"popon", rows?: number, partials?: boolean, idle?: number}} options
   */
  function createScheduler(options = {}) {
    const opts = { mode: "rollup", rows: 3, partials: true, idle: 8, lag: 10, ...options };
    const queue = []; // finished cues waiting: {key, lines, due, end, min}
    let shown = []; // finished lines on screen: {key, text, since, min}
    let partial = "";
    let lastShownAt = -Infinity;

    function finishedRows() {
      if (opts.mode === "popon") return 2;
      return Math.max(1, opts.rows - (opts.partials ? 1 : 0));
    }

    /** Whether `cue` may appear at `now` without taking a line off screen before its reading time. */
    function canShow(cue, now, wall) {
      if (cue.due > now) return false;
      if (opts.mode === "popon") return shown.every((line) => wall - line.since >= line.min);
      const overflow = shown.length + cue.lines.length - finishedRows();
      return shown.slice(0, Math.max(0, overflow)).every((line) => wall - line.since >= line.min);
    }

    function show(cue, wall) {
      const lines = cue.lines.map((text) => ({ key: cue.key, text, since: wall, min: cue.min }));
      shown = opts.mode === "popon" ? lines : [...shown, ...lines].slice(-finishedRows());
      lastShownAt = wall;
      partial = ""; // the cue holds the words the provisional text was showing
    }

    return {
      /** A finished cue: `key` unique, `lines` as built by the subtitle service, `start`/`end` stream time. */
      cue(key, lines, start, end) {
        const clean = lines.map(String).filter(Boolean).slice(0, 2);
        if (!clean.length) return;
        const due = Number(start) || 0;
        queue.push({ key: String(key), lines: clean, due, end: Math.max(due, Number(end) || 0), min: minDisplay(clean) });
        queue.sort((a, b) => a.due - b.due);
      },
      /** Provisional text (the whole uncommitted hypothesis); "" clears it. */
      partial(text) {
        partial = opts.partials ? String(text || "").trim() : "";
      },
      configure(changes) {
        Object.assign(opts, changes);
        if (!opts.partials) partial = "";
        shown = shown.slice(-finishedRows());
      },
      clear() {
        queue.length = 0;
        shown = [];
        partial = "";
      },
      /** Queued cues (for the shell: whether anything is still to come). */
      pending() {
        return queue.length;
      },
      /**
       * Advance to stream time `now` and say what is on screen:
       * {lines: [{key, text}], partial: [text]} (both empty: show nothing). `wall` is a steady clock in
       * seconds that reading times are measured on (the stream clock may jump when its estimate improves).
       */
      view(now, wall = now) {
        while (queue.length && queue[0].end < now - opts.lag) queue.shift();
        while (queue.length && canShow(queue[0], now, wall)) show(queue.shift(), wall);
        const expired = shown.length && wall - lastShownAt >= opts.idle
          && shown.every((line) => wall - line.since >= line.min);
        if (expired) shown = [];
        let partialLines = [];
        if (partial) {
          if (opts.mode === "rollup") partialLines = tailLines(partial, 1);
          else if (!queue.length && shown.every((line) => wall - line.since >= line.min)) {
            partialLines = tailLines(partial, 2);
            shown = [];
          }
        }
        return { lines: shown.map(({ key, text }) => ({ key, text })), partial: partialLines };
      },
    };
  }

  window.RathausCaptions = { createScheduler, minDisplay, tailLines, LINE_CHARS };
})();
