// Tutela's offline module player: lessons page by page, then the quiz, then the result. It reports through
// the tracker the package ships (scorm.js for SCORM 1.2 and 2004, cmi5.js for cmi5): where the learner is
// and their answers (so they resume), the result of each question, the score, completion and success
// against the pass mark, and the end of the session. All text goes in as textContent.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("module-data").textContent);
  var tracker = window.tutelaTracker(data);
  var main = document.getElementById("player");
  var controls = document.getElementById("controls");
  var quizPage = data.pages.length;
  var resultPage = quizPage + 1;
  var started = Date.now();
  var finished = false;
  var state = { page: 0, answers: {}, submitted: false };

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

  function save() {
    tracker.save(state);
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

  var passMark = data.passMark;

  function submit() {
    var items = data.questions.map(function (q, i) {
      var given = state.answers[i] || [];
      return { index: i, question: q, given: given, correct: isCorrect(q, given) };
    });
    var right = items.filter(function (item) { return item.correct; }).length;
    var scaled = data.questions.length ? right / data.questions.length : 1;
    var passed = scaled >= passMark;
    tracker.result({ items: items, scaled: scaled, passed: passed });
    state.submitted = true;
    state.verdicts = items.map(function (item) { return item.correct; });
    state.passed = passed;
    state.score = Math.round(scaled * 100);
    state.page = resultPage;
    save();
    render();
  }

  function finish(suspend) {
    if (finished) return;
    finished = true;
    tracker.finish(suspend, Math.round((Date.now() - started) / 1000));
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
    main.appendChild(el("p", "Lesson " + (n + 1) + " of " + data.pages.length, "source"));
    if (n > 0) button("Previous", function () { go(n - 1); });
    button(n + 1 < data.pages.length ? "Next" : "Go to the quiz", function () { go(n + 1); }, true);
  }

  function remember(i, values) {
    state.answers[i] = values;
    tracker.answered(state);
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
    main.appendChild(el("p", "Pass mark: " + Math.round(passMark * 100) + "%", "source"));
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
      field.appendChild(el("p", "Source: " + q.where + ": \u201c" + q.citation.quote + "\u201d", "source"));
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
  var begun = tracker.start();
  if (begun.passMark !== null) passMark = begun.passMark;
  if (begun.saved) {
    try {
      var restored = JSON.parse(begun.saved);
      if (restored && typeof restored.page === "number") state = restored;
    } catch (e) { /* not ours: start over */ }
  }
  state.page = Math.min(Math.max(0, state.page), state.submitted ? resultPage : quizPage);
  save();
  render();
  window.addEventListener("pagehide", function () { if (!finished) { save(); finish(true); } });
})();
