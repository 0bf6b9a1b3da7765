(() => {
  "use strict";
  // Document text arrives as JSON and only ever reaches the DOM through textContent.
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const $ = (id) => document.getElementById(id);
  const audio = $("player");
  const cues = data.cues;
  const chapters = data.chapters;
  // Only the chapters' files were written (--split chapters): they play one after another as
  // one programme; ``part`` is the one in the player, and every time on the page is the
  // programme's (a part's time plus where it starts).
  const parts = data.parts || [];
  let part = 0;
  const cueEls = new Array(cues.length);
  const chapterEls = [];
  const chapterTargets = [];
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let active = -1;
  let activeChapter = -1;
  let manualScrollAt = -Infinity;
  let frame = 0;
  let loadingWhole = false;
  let pending = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clock(seconds) {
    const whole = Math.max(0, Math.floor(seconds + 1e-6));
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  // --- the audio ------------------------------------------------------------------------
  if (data.audio) {
    const source = el("source");
    source.src = data.audio.src;
    source.type = data.audio.type;
    audio.append(source);
  } else if (parts.length) {
    audio.src = parts[0].src;
    audio.dataset.part = "0";
  } else {
    audio.hidden = true;
  }
  $("doc-title").textContent = data.title;

  // --- chapters ---------------------------------------------------------------------------
  chapters.forEach((chapter, i) => {
    const li = el("li");
    const button = el("button");
    button.type = "button";
    button.dataset.index = String(i);
    button.append(el("span", "num", String(i + 1)), el("span", "title", chapter.title),
      el("span", "time", clock(chapter.start)));
    button.addEventListener("click", () => {
      seek(chapter.start);
      const target = chapterTargets[i];
      if (target) target.scrollIntoView({ block: "start", behavior: reduceMotion ? "auto" : "smooth" });
    });
    li.append(button);
    $("chapter-list").append(li);
    chapterEls.push(li);
  });
  if (!chapters.length) $("chapters").hidden = true;
  if (window.matchMedia("(max-width: 900px)").matches) $("chapters").open = false;

  if (data.placeholders > 0) {
    const legend = $("legend");
    const sample = el("span", "ph", "XX");
    sample.dataset.tip = "spoken as 若干";
    legend.append(sample, " " + data.placeholders +
      (data.placeholders === 1 ? " placeholder" : " placeholders") +
      " not read as written: hover to see what the narrator said");
    legend.hidden = false;
  }
  if (data.flags.length) {
    const legend = $("legend");
    const line = el("div", "flags-legend");
    line.append(el("span", "flag-sample", "\u2691"), " " + data.flags.length +
      (data.flags.length === 1 ? " passage" : " passages") +
      " the speech recogniser heard badly: listen to them (hover for what it heard)");
    legend.append(line);
    legend.hidden = false;
  }

  // --- transcript -------------------------------------------------------------------------
  const transcript = $("transcript");
  // A chapter gets a label line unless its text opens with its title (a heading paragraph, or
  // a paragraph whose first words are the title, shown in bold).
  const titledChapters = new Set(
    data.blocks.filter((b) => b.kind === "heading" || b.lead).map((b) => b.chapter));
  let lastChapter = -1;
  data.blocks.forEach((block) => {
    if (block.chapter !== lastChapter && block.kind !== "title") {
      if (!titledChapters.has(block.chapter) && chapters[block.chapter]) {
        const label = el("div", "chapter-label", chapters[block.chapter].title);
        transcript.append(label);
        if (chapterTargets[block.chapter] === undefined) chapterTargets[block.chapter] = label;
      }
      lastChapter = block.chapter;
    }
    const tag = block.kind === "title" ? "h1" : block.kind === "heading" ? "h2" : "p";
    const node = el(tag, block.lead ? "block opens" : "block");
    const stamp = el("button", "stamp", clock(block.start));
    stamp.type = "button";
    stamp.tabIndex = -1;
    stamp.title = "Go to " + clock(block.start);
    stamp.addEventListener("click", () => seek(block.start));
    node.append(stamp);
    for (const piece of block.pieces) node.append(pieceNode(piece));
    transcript.append(node);
    const opens = block.kind === "title" || block.kind === "heading" || block.lead;
    if (opens && chapterTargets[block.chapter] === undefined) {
      chapterTargets[block.chapter] = node;
    }
  });
  if (!data.blocks.length) transcript.append(el("p", "empty", "(no text)"));
  if (data.removed.length) {
    const removed = el("section", "removed");
    const heading = el("h3", null, "Not read aloud");
    heading.lang = "en";
    removed.append(heading);
    for (const line of data.removed) {
      const p = el("p", null, line.text);
      if (line.rule) p.title = "removed by the rule " + line.rule;
      removed.append(p);
    }
    transcript.append(removed);
  }

  // A piece of text: a sentence (cue) or what lies between sentences. Placeholders in it are
  // marked; the first ``lead`` characters are a run-in chapter heading.
  function pieceNode(piece) {
    const node = piece.cue === null ? document.createDocumentFragment() : el("span", "s");
    const text = piece.text;
    const lead = piece.lead || 0;
    const marks = piece.marks || [];
    const cuts = new Set([0, text.length, lead]);
    for (const mark of marks) { cuts.add(mark.start); cuts.add(mark.end); }
    const points = [...cuts].filter((x) => x >= 0 && x <= text.length).sort((a, b) => a - b);
    let strong = null;
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      const mark = marks.find((m) => m.start <= a && b <= m.end);
      let part;
      if (mark) {
        part = el("span", mark.filled ? "ph filled" : "ph", text.slice(a, b));
        part.dataset.tip = (mark.filled ? "filled in: " : "spoken as ") + mark.spoken;
      } else {
        part = document.createTextNode(text.slice(a, b));
      }
      if (a < lead) {
        if (!strong) { strong = el("strong", "lead"); node.append(strong); }
        strong.append(part);
      } else {
        node.append(part);
      }
    }
    if (piece.cue !== null && piece.flag !== undefined) {
      const flag = data.flags[piece.flag];
      node.classList.add("flagged");
      node.title = "Listen to this (character error rate " + flag.cer.toFixed(2) +
        "). The recogniser heard: " + flag.heard;
    }
    if (piece.cue !== null) {
      node.dataset.cue = String(piece.cue);
      cueEls[piece.cue] = node;
      node.addEventListener("click", () => {
        if (!window.getSelection().isCollapsed) return; // selecting text, not seeking
        seek(cues[piece.cue].start);
      });
    }
    return node;
  }

  // --- overview picture ---------------------------------------------------------------------
  const ov = data.overview;
  if (ov) {
    const img = $("overview-image");
    const frameEl = $("overview-frame");
    img.width = ov.width;
    img.height = ov.height;
    img.addEventListener("load", () => { $("overview").hidden = false; placeHead(); });
    img.addEventListener("error", () => { $("overview").hidden = true; });
    img.src = ov.src;
    $("overview-link").href = ov.src;
    frameEl.addEventListener("click", (event) => {
      const rect = img.getBoundingClientRect();
      const x = (event.clientX - rect.left) * ov.width / rect.width;
      const t = (x - ov.left) / (ov.right - ov.left) * duration();
      seek(Math.min(Math.max(t, 0), duration()));
    });
  }

  function placeHead() {
    if (!ov || $("overview").hidden) return;
    const fraction = duration() > 0 ? Math.min(now() / duration(), 1) : 0;
    const x = ov.left + fraction * (ov.right - ov.left);
    $("playhead").style.left = (100 * x / ov.width) + "%";
  }

  function duration() {
    if (parts.length) return data.duration;
    return Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : data.duration;
  }

  // --- following the voice ------------------------------------------------------------------
  // The sentence shown is the one being spoken or, in a pause, the one about to be spoken:
  // the first cue that has not ended.
  function cueAt(t) {
    let lo = 0;
    let hi = cues.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cues[mid].end > t) hi = mid; else lo = mid + 1;
    }
    return Math.min(lo, cues.length - 1);
  }

  function chapterAt(t) {
    let found = chapters.length ? 0 : -1;
    for (let i = 0; i < chapters.length; i++) if (chapters[i].start <= t + 1e-3) found = i;
    return found;
  }

  // mode: "user" (a click or key: always bring the sentence into view), "play" (follow the
  // voice unless the reader scrolled away a moment ago) or "quiet" (never scroll).
  function update(mode) {
    const t = now();
    const i = cues.length ? cueAt(t) : -1;
    if (i !== active) {
      if (active >= 0 && cueEls[active]) cueEls[active].classList.remove("on");
      active = i;
      const node = i >= 0 ? cueEls[i] : null;
      if (node) {
        node.classList.add("on");
        if (mode !== "quiet") follow(node, mode === "user");
      }
    }
    const c = chapterAt(t);
    if (c !== activeChapter) {
      if (activeChapter >= 0) chapterEls[activeChapter].classList.remove("current");
      activeChapter = c;
      if (c >= 0) chapterEls[c].classList.add("current");
    }
    $("now").textContent = (c >= 0 ? (c + 1) + " / " + chapters.length + " · " +
      chapters[c].title + " · " : "") + clock(t) + " / " + clock(duration());
    placeHead();
  }

  function follow(node, fromUser) {
    if (!fromUser && performance.now() - manualScrollAt < 4000) return;
    const bar = $("bar").getBoundingClientRect().bottom;
    const rect = node.getBoundingClientRect();
    const room = window.innerHeight - bar;
    if (rect.top < bar + room * 0.15 || rect.bottom > bar + room * 0.8) {
      node.scrollIntoView({ block: "center", behavior: reduceMotion ? "auto" : "smooth" });
    }
  }

  function seek(t) {
    if (parts.length && partAt(t) !== part) {
      switchPart(partAt(t), t, !audio.paused);
    } else {
      if (loadingWhole) pending = t;
      audio.currentTime = t - (parts.length ? parts[part].start : 0);
    }
    update("user");
  }

  // The time shown: where the reader asked to be while the audio cannot get there yet.
  function now() {
    if (pending !== null) return pending;
    return audio.currentTime + (parts.length ? parts[part].start : 0);
  }

  function partAt(t) {
    let found = 0;
    for (let i = 0; i < parts.length; i++) if (parts[i].start <= t + 1e-3) found = i;
    return found;
  }

  // Put part ``p`` in the player at programme time ``t`` (playing on if ``play``).
  function switchPart(p, t, play) {
    part = p;
    pending = t;
    audio.addEventListener("loadedmetadata", () => {
      audio.currentTime = Math.max(0, t - parts[p].start);
      pending = null;
      if (play) {
        const playing = audio.play();
        if (playing) playing.catch(() => {});
      }
      update("quiet");
    }, { once: true });
    audio.src = parts[p].src;
    audio.dataset.part = String(p);
  }

  audio.addEventListener("ended", () => {
    if (parts.length && part + 1 < parts.length) switchPart(part + 1, parts[part + 1].start, true);
  });

  // A server that ignores range requests (python -m http.server) makes the audio unseekable.
  // Then the page loads the whole file once and plays it from memory, where every time is
  // reachable. From file:// and ordinary web servers this never happens.
  function seekableToEnd() {
    const ranges = audio.seekable;
    return ranges.length > 0 && ranges.end(ranges.length - 1) >= duration() - 0.5;
  }

  audio.addEventListener("loadedmetadata", () => {
    if (loadingWhole || seekableToEnd() || !data.audio || !/^https?:$/.test(location.protocol)) {
      return;
    }
    loadingWhole = true;
    fetch(data.audio.src)
      .then((response) => (response.ok ? response.blob() : Promise.reject(response.status)))
      .then((blob) => {
        const resume = !audio.paused;
        const at = now();
        audio.addEventListener("loadedmetadata", () => {
          audio.currentTime = at;
          pending = null;
          if (resume) toggle();
          update("quiet");
        }, { once: true });
        audio.src = URL.createObjectURL(new Blob([blob], { type: data.audio.type }));
      })
      .catch(() => { pending = null; });
  });

  function loop() {
    update("play");
    frame = audio.paused || audio.ended ? 0 : requestAnimationFrame(loop);
  }

  audio.addEventListener("play", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(loop);
  });
  for (const type of ["pause", "ended", "timeupdate", "loadedmetadata"]) {
    audio.addEventListener(type, () => update("play"));
  }
  audio.addEventListener("seeked", () => update("play"));
  for (const type of ["wheel", "touchmove"]) {
    window.addEventListener(type, () => { manualScrollAt = performance.now(); }, { passive: true });
  }

  // --- keyboard -----------------------------------------------------------------------------
  function step(direction) {
    if (!cues.length) return;
    const t = now();
    const i = cueAt(t);
    let target;
    if (direction > 0) target = cues[i].start > t + 0.05 ? i : i + 1;
    else target = t - cues[i].start > 1 ? i : i - 1;
    target = Math.min(Math.max(target, 0), cues.length - 1);
    seek(cues[target].start);
  }

  function toggle() {
    if (audio.paused || audio.ended) {
      const playing = audio.play();
      if (playing) playing.catch(() => {});
    } else {
      audio.pause();
    }
  }

  function handled(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return false;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return false;
    }
    return event.key === " " || event.key === "ArrowLeft" || event.key === "ArrowRight";
  }

  // Capture phase, so a focused button or the player's own controls do not act on these keys too.
  document.addEventListener("keydown", (event) => {
    if (!handled(event)) return;
    event.preventDefault();
    event.stopPropagation();
    if (event.key === " ") {
      if (!event.repeat) toggle();
    } else {
      step(event.key === "ArrowRight" ? 1 : -1);
    }
  }, true);
  document.addEventListener("keyup", (event) => {
    if (handled(event)) { event.preventDefault(); event.stopPropagation(); }
  }, true);

  update("quiet");
})();
