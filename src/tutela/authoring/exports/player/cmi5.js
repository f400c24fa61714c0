// cmi5 for Tutela's player: reads the launch parameters, fetches the session's token, reads
// LMS.LaunchData, keeps the learner's place in a state document, and sends the cmi5 statements
// (initialized, completed, passed or failed, terminated) plus one `answered` statement per question to the
// LMS's own endpoint. Requests are synchronous so that a closing page still sends its last statement.
window.tutelaTracker = function () {
  "use strict";
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  var VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated",
    answered: "http://adlnet.gov/expapi/verbs/answered"
  };
  var params = new URLSearchParams(window.location.search);
  var endpoint = (params.get("endpoint") || "").replace(/\/?$/, "/");
  var actor = JSON.parse(params.get("actor") || "null");
  var registration = params.get("registration");
  var activityId = params.get("activityId");
  var auth = null;
  var launch = {};
  var started = Date.now();

  function request(method, url, body) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, false);
    xhr.setRequestHeader("X-Experience-API-Version", "1.0.3");
    if (auth) xhr.setRequestHeader("Authorization", auth);
    if (body !== undefined) xhr.setRequestHeader("Content-Type", "application/json");
    xhr.send(body === undefined ? null : JSON.stringify(body));
    return xhr;
  }

  function stateUrl(stateId) {
    var query = new URLSearchParams({
      stateId: stateId, activityId: activityId, agent: JSON.stringify(actor), registration: registration
    });
    return endpoint + "activities/state?" + query.toString();
  }

  function uuid() {
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  function send(verb, options) {
    var context = JSON.parse(JSON.stringify(launch.contextTemplate || {}));
    context.registration = registration;
    if (options.categories) {
      context.contextActivities = context.contextActivities || {};
      context.contextActivities.category = options.categories.map(function (id) { return { id: id }; });
    }
    if (options.extensions) context.extensions = Object.assign(context.extensions || {}, options.extensions);
    var statement = {
      id: uuid(),
      timestamp: new Date().toISOString(),
      actor: actor,
      verb: { id: VERBS[verb], display: { "en-US": verb } },
      object: options.object || { objectType: "Activity", id: activityId },
      context: context
    };
    if (options.result) statement.result = options.result;
    request("POST", endpoint + "statements", statement);
  }

  function duration() {
    return "PT" + Math.round((Date.now() - started) / 1000) + "S";
  }

  function interactionType(q) {
    if (q.type === "true_false") return "true-false";
    return q.type === "fill_in_blank" || q.type === "short_answer" ? "fill-in" : "choice";
  }

  function answered(item) {
    var q = item.question;
    var kind = interactionType(q);
    var ids = function (options) { return options.map(function (o) { return "choice" + (q.options.indexOf(o) + 1); }); };
    var definition = {
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      name: { "und": q.stem },
      interactionType: kind
    };
    var response;
    if (kind === "fill-in") {
      definition.correctResponsesPattern = q.answer;
      response = item.given[0] || "";
    } else if (kind === "true-false") {
      definition.correctResponsesPattern = [q.answer[0]];
      response = item.given[0] || "";
    } else {
      definition.correctResponsesPattern = [ids(q.answer).join("[,]")];
      definition.choices = q.options.map(function (o, n) { return { id: "choice" + (n + 1), description: { "und": o } }; });
      response = ids(item.given).join("[,]");
    }
    send("answered", {
      object: { objectType: "Activity", id: activityId + "/Q" + (item.index + 1), definition: definition },
      result: { success: item.correct, response: response }
    });
  }

  var normal = function () { return (launch.launchMode || "Normal") === "Normal"; };

  return {
    start: function () {
      var token = request("POST", params.get("fetch"));
      auth = "Basic " + JSON.parse(token.responseText)["auth-token"];
      launch = JSON.parse(request("GET", stateUrl("LMS.LaunchData")).responseText);
      var saved = request("GET", stateUrl("tutela.progress"));
      send("initialized", { categories: [CMI5] });
      var mastery = typeof launch.masteryScore === "number" ? launch.masteryScore : null;
      return { saved: saved.status === 200 ? saved.responseText : "", passMark: mastery };
    },
    answered: function () {},
    save: function (state) { request("PUT", stateUrl("tutela.progress"), state); },
    result: function (outcome) {
      outcome.items.forEach(answered);
      if (!normal()) return;  // Browse and Review launches record nothing that counts
      send("completed", { categories: [CMI5, MOVE_ON], result: { completion: true, duration: duration() } });
      var extensions = {};
      if (typeof launch.masteryScore === "number") extensions[MASTERY] = launch.masteryScore;
      send(outcome.passed ? "passed" : "failed", {
        categories: [CMI5, MOVE_ON],
        extensions: extensions,
        result: { score: { scaled: Math.round(outcome.scaled * 10000) / 10000 }, success: outcome.passed, duration: duration() }
      });
    },
    finish: function () {
      send("terminated", { categories: [CMI5], result: { duration: duration() } });
    }
  };
};
