// SCORM 1.2 and 2004 for Tutela's player: finds the LMS API, keeps the place in the location and
// suspend_data, records one interaction per question, the score, completion and success, and terminates.
window.tutelaTracker = function (data) {
  "use strict";
  var v12 = data.standard === "scorm12";
  var KEYS = v12
    ? { location: "cmi.core.lesson_location", exit: "cmi.core.exit", raw: "cmi.core.score.raw",
        min: "cmi.core.score.min", max: "cmi.core.score.max", passing: "cmi.student_data.mastery_score",
        time: "cmi.core.session_time" }
    : { location: "cmi.location", exit: "cmi.exit", raw: "cmi.score.raw", min: "cmi.score.min",
        max: "cmi.score.max", passing: "cmi.scaled_passing_score", time: "cmi.session_time" };

  function findApi() {
    var name = v12 ? "API" : "API_1484_11";
    var starts = [window];
    if (window.opener) starts.push(window.opener);
    for (var s = 0; s < starts.length; s++) {
      var w = starts[s];
      for (var hops = 0; w && hops < 12; hops++) {
        try {
          if (w[name]) return w[name];
        } catch (e) { /* a frame of another origin: keep looking */ }
        if (w.parent === w) break;
        w = w.parent;
      }
    }
    return null;
  }

  var api = findApi();
  function call(v12Name, name, args) {
    return api ? String(api[v12 ? v12Name : name].apply(api, args)) : "";
  }
  function get(key) { return call("LMSGetValue", "GetValue", [key]); }
  function set(key, value) { return call("LMSSetValue", "SetValue", [key, String(value)]); }
  function commit() { return call("LMSCommit", "Commit", [""]); }

  // The runtime's strings are one line of at most 250 characters, `{` and `[` reserved.
  function plain(text) {
    return String(text).replace(/[\[\]{}]/g, " ").split(/\s+/).filter(Boolean).join(" ").slice(0, 250);
  }
  function interactionType(q) {
    if (q.type === "true_false") return "true-false";
    return q.type === "fill_in_blank" || q.type === "short_answer" ? "fill-in" : "choice";
  }
  function choiceId(q, option) {
    if (q.type === "true_false") return v12 ? option.charAt(0) : option;
    var index = q.options.indexOf(option);
    return v12 ? "abcdefghijklmnopqrstuvwxyz".charAt(index) : "choice" + (index + 1);
  }
  function responseOf(q, given) {
    if (interactionType(q) === "fill-in") return plain(given[0] || "");
    return given.map(function (o) { return choiceId(q, o); }).join(v12 ? "," : "[,]");
  }
  function record(item) {
    var q = item.question;
    var base = "cmi.interactions." + item.index + ".";
    set(base + "id", "Q" + (item.index + 1));
    set(base + "type", interactionType(q));
    if (!v12) set(base + "description", plain(q.stem));
    var patterns = interactionType(q) === "fill-in" ? q.answer.slice(0, 10).map(plain) : [responseOf(q, q.answer)];
    patterns.forEach(function (pattern, n) { set(base + "correct_responses." + n + ".pattern", pattern); });
    set(base + (v12 ? "student_response" : "learner_response"), responseOf(q, item.given));
    set(base + "result", item.correct ? "correct" : v12 ? "wrong" : "incorrect");
    set(base + "weighting", "1");
  }

  return {
    start: function () {
      call("LMSInitialize", "Initialize", [""]);
      if (v12) {
        if (get("cmi.core.lesson_status") === "not attempted") set("cmi.core.lesson_status", "incomplete");
      } else if (get("cmi.completion_status") !== "completed") {
        set("cmi.completion_status", "incomplete");
      }
      var passing = parseFloat(get(KEYS.passing));
      return { saved: get("cmi.suspend_data"), passMark: isNaN(passing) ? null : v12 ? passing / 100 : passing };
    },
    answered: function (state) { set("cmi.suspend_data", JSON.stringify(state)); },
    save: function (state) {
      set(KEYS.location, String(state.page));
      set("cmi.suspend_data", JSON.stringify(state));
      commit();
    },
    result: function (outcome) {
      outcome.items.forEach(record);
      set(KEYS.raw, String(Math.round(outcome.scaled * 100)));
      set(KEYS.min, "0");
      set(KEYS.max, "100");
      if (v12) {
        set("cmi.core.lesson_status", outcome.passed ? "passed" : "failed");
      } else {
        set("cmi.score.scaled", String(Math.round(outcome.scaled * 10000) / 10000));
        set("cmi.completion_status", "completed");
        set("cmi.success_status", outcome.passed ? "passed" : "failed");
      }
      commit();
    },
    finish: function (suspend, seconds) {
      set(KEYS.exit, suspend ? "suspend" : v12 ? "" : "normal");
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      set(KEYS.time, v12
        ? pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60)
        : "PT" + seconds + "S");
      commit();
      call("LMSFinish", "Terminate", [""]);
    }
  };
};
