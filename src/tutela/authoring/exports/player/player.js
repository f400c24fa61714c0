// Tutela's offline module player for SCORM 1.2 and SCORM 2004: lessons page by page, then the quiz.
// It finds the LMS API in a parent frame or the opener, keeps the page and the answers in suspend_data and
// the location so a learner resumes where they stopped, records one interaction per question, the score,
// completion and success against the pass mark, and terminates cleanly. All text goes in as textContent.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("module-data").textContent);
  var v12 = data.standard === "scorm12";
  var main = document.getElementById("player");
  var controls = document.getElementById("controls");
  var quizPage = data.pages.length;
  var resultPage = quizPage + 1;
  var started = Date.now();
  var finished = false;
  var state = { page: 0, answers: {}, submitted: false };

  var KEYS = v12
    ? { location: "cmi.core.lesson_location", entry: "cmi.core.entry", exit: "cmi.core.exit",
        raw: "cmi.core.score.raw", min: "cmi.core.score.min", max: "cmi.core.score.max",
        passing: "cmi.student_data.mastery_score", time: "cmi.core.session_time" }
    : { location: "cmi.location", entry: "cmi.entry", exit: "cmi.exit",
        raw: "cmi.score.raw", min: "cmi.score.min", max: "cmi.score.max",
        passing: "cmi.scaled_passing_score", time: "cmi.session_time" };

  function findApi() {
    var name = v12 ? "API" : "API_1484_11";
    var starts = [window];
    if (window.opener) starts.push(window.opener);
    for (var s = 0; s < starts.length; s++) {
      var w = starts[s];
      for (var hops = 0; w && hops < 12; hops++) {
        try {
          if (w[name]) return w[name];
        } catch (e) { /* another origin: keep looking */ }
        if (w.parent === w) break;
        w = w.parent;
      }
    }
    return null;
  }

  var api = findApi();
  var lms = {
    call: function (v12Name, name, args) {
      if (!api) return "";
      return String(api[v12 ? v12Name : name].apply(api, args));
    },
    init: function () { return lms.call("LMSInitialize", "Initialize", [""]); },
    get: function (key) { return lms.call("LMSGetValue", "GetValue", [key]); },
    set: function (key, value) { return lms.call("LMSSetValue", "SetValue", [key, String(value)]); },
    commit: function () { return lms.call("LMSCommit", "Commit", [""]); },
    finish: function () { return lms.call("LMSFinish", "Terminate", [""]); }
  };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function button(text, action, primary) {
    var b = el("button", text, primary ? "primary" : "");
    b.type = "button";
    b.addEventListener("click", action);
    controls.appendChild(b);
    return b;
  }

  function sessionTime() {
    var seconds = Math.round((Date.now() - started) / 1000);
    if (!v12) return "PT" + seconds + "S";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60);
  }

  function save() {
    lms.set(KEYS.location, String(state.page));
    lms.set("cmi.suspend_data", JSON.stringify(state));
    lms.commit();
  }

  function normal(text) {
    return text.toLocaleLowerCase().replace(/[^\p{L}\p{N}_\s]/gu, " ").split(/\s+/).filter(Boolean).join(" ");
  }

  function isCorrect(q, given) {
    if (q.type === "fill_in_blank" || q.type === "short_answer") {
      var typed = normal(given[0] || "");
      return q.answer.some(function (a) { return normal(a) === typed; });
    }
    var a = q.answer.slice().sort().join("\u0000");
    return given.slice().sort().join("\u0000") === a;
  }

  // --- interactions: the identifiers and patterns each SCORM version accepts --------------------------
  function choiceId(q, option) {
    var index = q.options.indexOf(option);
    if (q.type === "true_false") return v12 ? option.charAt(0) : option;
    return v12 ? "abcdefghijklmnopqrstuvwxyz".charAt(index) : "choice" + (index + 1);
  }

  function plain(text) {
    // The runtime's localized strings are one line of at most 250 characters, `{` and `[` reserved.
    return String(text).replace(/[\[\]{}]/g, " ").split(/\s+/).filter(Boolean).join(" ").slice(0, 250);
  }

  function interactionType(q) {
    if (q.type === "true_false") return "true-false";
    return q.type === "fill_in_blank" || q.type === "short_answer" ? "fill-in" : "choice";
  }

  function responseOf(q, given) {
    if (interactionType(q) === "fill-in") return plain(given[0] || "");
    var sep = v12 ? "," : "[,]";
    return given.map(function (o) { return choiceId(q, o); }).join(sep);
  }

  function record(i, q, given, correct) {
    var base = "cmi.interactions." + i + ".";
    lms.set(base + "id", "Q" + (i + 1));
    lms.set(base + "type", interactionType(q));
    if (!v12) lms.set(base + "description", plain(q.stem));
    var patterns = interactionType(q) === "fill-in" ? q.answer.slice(0, 10).map(plain) : [responseOf(q, q.answer)];
    patterns.forEach(function (pattern, n) { lms.set(base + "correct_responses." + n + ".pattern", pattern); });
    lms.set(base + (v12 ? "student_response" : "learner_response"), responseOf(q, given));
    lms.set(base + "result", correct ? "correct" : v12 ? "wrong" : "incorrect");
    lms.set(base + "weighting", "1");
  }

  function passMark() {
    var fromLms = parseFloat(lms.get(KEYS.passing));
    if (!isNaN(fromLms)) return v12 ? fromLms / 100 : fromLms;
    return data.passMark;
  }

  function submit() {
    var verdicts = data.questions.map(function (q, i) {
      var given = state.answers[i] || [];
      var correct = isCorrect(q, given);
      record(i, q, given, correct);
      return correct;
    });
    var right = verdicts.filter(Boolean).length;
    var scaled = data.questions.length ? right / data.questions.length : 1;
    var passed = scaled >= passMark();
    lms.set(KEYS.raw, String(Math.round(scaled * 100)));
    lms.set(KEYS.min, "0");
    lms.set(KEYS.max, "100");
    if (v12) {
      lms.set("cmi.core.lesson_status", passed ? "passed" : "failed");
    } else {
      lms.set("cmi.score.scaled", String(Math.round(scaled * 10000) / 10000));
      lms.set("cmi.completion_status", "completed");
      lms.set("cmi.success_status", passed ? "passed" : "failed");
    }
    state.submitted = true;
    state.verdicts = verdicts;
    state.passed = passed;
    state.score = Math.round(scaled * 100);
    state.page = resultPage;
    save();
    render();
  }

  function finish(suspend) {
    if (finished) return;
    finished = true;
    lms.set(KEYS.exit, suspend ? "suspend" : v12 ? "" : "normal");
    lms.set(KEYS.time, sessionTime());
    lms.commit();
    lms.finish();
  }

  function saveAndExit() {
    save();
    finish(true);
    main.replaceChildren(el("p", "Your place is saved. You can close this window and come back later."));
    controls.replaceChildren();
  }

  function go(page) {
    state.page = page;
    save();
    render();
    window.scrollTo(0, 0);
  }

  // --- pages -------------------------------------------------------------------------------------------
  function lessonPage(n) {
    var lesson = data.pages[n];
    main.appendChild(el("h2", lesson.chapter));
    main.appendChild(el("h3", lesson.title));
    lesson.content.split(/\n\s*\n/).forEach(function (paragraph) { main.appendChild(el("p", paragraph)); });
    main.appendChild(el("p", "Page " + (n + 1) + " of " + data.pages.length, "source"));
    if (n > 0) button("Previous", function () { go(n - 1); });
    button(n + 1 < data.pages.length ? "Next" : "Go to the quiz", function () { go(n + 1); }, true);
  }

  function remember(i, values) {
    state.answers[i] = values;
    lms.set("cmi.suspend_data", JSON.stringify(state));
  }

  function questionField(q, i) {
    var field = el("fieldset");
    field.appendChild(el("legend", (i + 1) + ". " + q.stem));
    var given = state.answers[i] || [];
    if (q.type === "fill_in_blank" || q.type === "short_answer") {
      var label = el("label", "Your answer");
      var input = el("input");
      input.type = "text";
      input.name = "q" + i;
      input.value = given[0] || "";
      input.addEventListener("input", function () { remember(i, input.value.trim() ? [input.value] : []); });
      label.appendChild(input);
      field.appendChild(label);
      return field;
    }
    var kind = q.type === "multiple_choice" ? "checkbox" : "radio";
    q.options.forEach(function (option) {
      var label = el("label");
      var input = el("input");
      input.type = kind;
      input.name = "q" + i;
      input.value = option;
      input.checked = given.indexOf(option) >= 0;
      input.addEventListener("change", function () {
        var checked = field.querySelectorAll("input:checked");
        remember(i, Array.prototype.map.call(checked, function (c) { return c.value; }));
      });
      label.appendChild(input);
      var shown = q.type === "true_false" ? (option === "true" ? data.labels.true : data.labels.false) : option;
      label.appendChild(document.createTextNode(" " + shown));
      field.appendChild(label);
    });
    return field;
  }

  function quiz() {
    main.appendChild(el("h2", "Quiz"));
    main.appendChild(el("p", "Pass mark: " + Math.round(passMark() * 100) + "%", "source"));
    data.questions.forEach(function (q, i) { main.appendChild(questionField(q, i)); });
    if (data.pages.length) button("Previous", function () { go(quizPage - 1); });
    button("Submit answers", submit, true);
  }

  function result() {
    main.appendChild(el("h2", "Your score: " + state.score + "%"));
    main.appendChild(el("p", state.passed ? "You passed." : "You did not reach the pass mark.", state.passed ? "correct" : "wrong"));
    data.questions.forEach(function (q, i) {
      var right = state.verdicts[i];
      var field = el("fieldset");
      field.appendChild(el("legend", (i + 1) + ". " + q.stem));
      field.appendChild(el("p", right ? "Correct" : "Not correct", right ? "correct" : "wrong"));
      field.appendChild(el("p", "Answer: " + q.answer.join("; ")));
      field.appendChild(el("p", q.explanation));
      field.appendChild(el("p", "Source: page " + q.citation.page + ": \u201c" + q.citation.quote + "\u201d", "source"));
      main.appendChild(field);
    });
    button("Finish", function () {
      finish(false);
      main.replaceChildren(el("p", "Finished. You can close this window."));
      controls.replaceChildren();
    }, true);
  }

  function render() {
    main.replaceChildren(el("h1", data.title));
    controls.replaceChildren();
    if (state.page < quizPage) lessonPage(state.page);
    else if (state.page === quizPage || !state.submitted) quiz();
    else result();
    if (state.page <= quizPage) button("Save and exit", saveAndExit);
  }

  // --- start -------------------------------------------------------------------------------------------
  lms.init();
  var saved = lms.get("cmi.suspend_data");
  if (saved) {
    try {
      var restored = JSON.parse(saved);
      if (restored && typeof restored.page === "number") state = restored;
    } catch (e) { /* not ours: start over */ }
  }
  if (v12) {
    if (lms.get("cmi.core.lesson_status") === "not attempted") lms.set("cmi.core.lesson_status", "incomplete");
  } else if (lms.get("cmi.completion_status") !== "completed") {
    lms.set("cmi.completion_status", "incomplete");
  }
  state.page = Math.min(Math.max(0, state.page), state.submitted ? resultPage : quizPage);
  save();
  render();
  window.addEventListener("pagehide", function () { if (!finished) { save(); finish(true); } });
})();
