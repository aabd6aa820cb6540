/*
 * Next Steps form snippet: progressive enhancement for <form class="ns-form">.
 *
 * Without this file the form still posts (application/x-www-form-urlencoded)
 * to its action. With it, the form is checked against the server's own rules
 * (lead-schema.json, generated from the API's model), sent as JSON with an
 * Idempotency-Key that stays the same on every retry, and answered in place.
 *
 * Configuration, on the <form>:
 *   data-next-steps-api     the API's POST /leads URL (required; same as action)
 *   data-next-steps-schema  where lead-schema.json is (default: next to this file)
 *   lang (on the form or any element around it, such as <html>) picks the words'
 *                           language among those lead-schema.json carries; English otherwise.
 *                           The form asks the server to answer in it too (the `language` field);
 *                           a hidden <input name="language"> does the same without JavaScript.
 */
(function () {
  "use strict";

  var SCRIPT_URL = (document.currentScript && document.currentScript.src) || window.location.href;
  var TRACKING = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var TIMEOUT_MS = 20000;
  // The snippet's own words come from lead-schema.json ("x-text", or "x-translations" for the form's
  // language), exported from the server's catalogue. These copies (the same words, one a line; a unit
  // test keeps them equal) serve only until the schema has loaded, or when it cannot be: a visitor on
  // the Spanish form whose connection fails is still told so in Spanish, with the Spanish lifeline.
  var ENGLISH = {
    kept: "Your answers are still here.",
    network: "We couldn’t reach the clinic just now, so your request may not have been sent. Your answers are still here. Please check your internet connection, then press “Send my request” again.",
    server: "Something went wrong on our side, so your request may not have been sent. Your answers are still here. Please press “Send my request” again in a moment, or call the clinic.",
    summary: "Please check the following, then send your request again:",
    sending: "Sending your request…",
    thanks: "Thank you. We have received your request, and someone from our intake team will reach out soon.",
    already: "It looks like we already received your request: thank you. Someone from our intake team will reach out soon. If you changed anything since, please mention it when we speak.",
    crisisTitle: "If you are in crisis, help is available now",
    fallback: "Please check this.",
    errorPrefix: "Error: ",
    doneTitle: "Your request has been sent",
    tapCall: "Call {number}",
    tapText: "Text {number}",
    tapTextBody: "Text {body} to {number}",
    lifeline: "If you need to talk to someone right now, call or text {number} (the Suicide & Crisis Lifeline), any time, day or night.",
  };
  var SPANISH = {
    kept: "Sus respuestas siguen aquí.",
    network: "No pudimos comunicarnos con la clínica en este momento, así que es posible que su solicitud no se haya enviado. Sus respuestas siguen aquí. Por favor, revise su conexión a internet y vuelva a presionar “Enviar mi solicitud”.",
    server: "Algo salió mal de nuestro lado, así que es posible que su solicitud no se haya enviado. Sus respuestas siguen aquí. Por favor, vuelva a presionar “Enviar mi solicitud” en un momento, o llame a la clínica.",
    summary: "Por favor, revise lo siguiente y vuelva a enviar su solicitud:",
    sending: "Enviando su solicitud…",
    thanks: "Gracias. Recibimos su solicitud y una persona de nuestro equipo de admisión se comunicará con usted pronto.",
    already: "Parece que ya recibimos su solicitud: gracias. Una persona de nuestro equipo de admisión se comunicará con usted pronto. Si cambió algo desde entonces, por favor, díganoslo cuando hablemos.",
    crisisTitle: "Si está en crisis, puede recibir ayuda ahora mismo",
    fallback: "Por favor, revise este dato.",
    errorPrefix: "Error: ",
    doneTitle: "Su solicitud fue enviada",
    tapCall: "Llamar al {number}",
    tapText: "Enviar mensaje al {number}",
    tapTextBody: "Enviar {body} al {number}",
    lifeline: "Si necesita hablar con alguien ahora mismo, llame al {number} y marque 2 para recibir ayuda en español, o envíe AYUDA por mensaje de texto al {number} (la Línea de Prevención del Suicidio y Crisis), a cualquier hora del día o de la noche.",
  };
  var BUILT_IN = { en: ENGLISH, es: SPANISH };
  // The ways a value can be wrong that the server also checks; the wording comes from lead-schema.json.
  var EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  var PHONE_CHARS = /^[0-9a-z+().\-\s\/#]*$/i;

  // Fill each {name} of a catalogue text.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  // The form's language: its own lang, or the nearest one around it ("es-MX" is "es").
  function languageOf(form) {
    var tagged = form.closest("[lang]");
    return ((tagged && tagged.getAttribute("lang")) || "").trim().toLowerCase().split("-")[0];
  }

  // The words for this form: from the schema, in the form's language when the schema has it.
  function wordsFor(form, schema) {
    var language = languageOf(form);
    var translations = (schema && schema["x-translations"]) || {};
    var copy = has(BUILT_IN, language) ? BUILT_IN[language] : ENGLISH;
    // A Spanish form never takes the schema's English words: its own copy serves instead.
    var source = translations[language] || (copy === ENGLISH ? schema : null) || {};
    var text = {};
    Object.keys(ENGLISH).forEach(function (name) {
      var given = source["x-text"] && source["x-text"][name];
      text[name] = typeof given === "string" ? given : copy[name];
    });
    return { messages: source["x-messages"] || {}, text: text };
  }

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  // The languages the server answers in: English, each one the schema carries, and the built-in copies.
  function languagesOf(schema) {
    var known = Object.keys(BUILT_IN);
    Object.keys((schema && schema["x-translations"]) || {}).forEach(function (language) {
      if (known.indexOf(language) < 0) known.push(language);
    });
    return known;
  }

  // The language the form asks to be answered in: its own, when the server has it; else none
  // (the server then goes by the browser's Accept-Language).
  function askedLanguage(form, known) {
    var language = languageOf(form);
    return known.indexOf(language) >= 0 ? language : "";
  }

  function chars(value) {
    return Array.from(value).length;
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.from(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // Only where the visitor was, never what the URL carried: query strings can hold personal data.
  function pageAddress(href) {
    try {
      var url = new URL(href);
      return (url.origin + url.pathname).slice(0, 300);
    } catch (e) {
      return "";
    }
  }

  function tracking() {
    var out = {};
    var params = new URLSearchParams(window.location.search);
    TRACKING.forEach(function (name) {
      var value = (params.get(name) || "").trim();
      if (value) out[name] = value.slice(0, 300);
    });
    var referrer = pageAddress(document.referrer);
    if (referrer) out.referrer = referrer;
    return out;
  }

  function loadSchema(form) {
    var url = new URL(form.getAttribute("data-next-steps-schema") || "lead-schema.json", SCRIPT_URL);
    return fetch(url.href, { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .catch(function () { return null; });
  }

  // ----------------------------------------------------------------- values

  function controls(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && el.type !== "submit" && el.type !== "button";
    });
  }

  function readValues(form) {
    var values = {};
    var counts = {};
    controls(form).forEach(function (el) {
      if (el.type === "checkbox") counts[el.name] = (counts[el.name] || 0) + 1;
    });
    controls(form).forEach(function (el) {
      var name = el.name;
      if (el.type === "checkbox" && counts[name] > 1) {
        values[name] = values[name] || [];
        if (el.checked) values[name].push(el.value);
      } else if (el.type === "checkbox") {
        values[name] = el.checked;
      } else if (el.type === "radio") {
        if (!(name in values)) values[name] = "";
        if (el.checked) values[name] = el.value;
      } else if (name === "website") {
        values[name] = el.value;
      } else {
        values[name] = el.value.trim();
      }
    });
    return values;
  }

  function isEmpty(value) {
    return value === "" || value === false || value === null || value === undefined ||
      (Array.isArray(value) && value.length === 0);
  }

  // A limit sits on the property, or on its string branch when it may be null.
  function limitOf(spec) {
    var options = [spec].concat(spec.anyOf || []);
    for (var i = 0; i < options.length; i++) {
      if (typeof options[i].maxLength === "number") return options[i].maxLength;
    }
    return null;
  }

  function choicesOf(spec) {
    if (spec.enum) return spec.enum;
    if (spec.items && spec.items.enum) return spec.items.enum;
    return null;
  }

  function plausiblePhone(value) {
    // Loose on purpose: the server parses the number properly (letters too, as on 1-800-FLOWERS).
    var dialed = value.replace(/[^0-9a-z]/gi, "").length;
    return PHONE_CHARS.test(value) && dialed >= 7 && dialed <= 20;
  }

  // The same rules as the server, in the same order, with the server's words.
  function check(values, schema, words) {
    var errors = {};
    if (!schema || !schema.properties) return errors;
    var messages = words.messages;
    var required = schema.required || [];
    function say(field, kind) {
      return (messages[field] && messages[field][kind]) || words.text.fallback;
    }
    Object.keys(schema.properties).forEach(function (name) {
      if (!(name in values) || name === "website") return;
      var spec = schema.properties[name];
      var value = values[name];
      if (required.indexOf(name) >= 0 && isEmpty(value)) {
        errors[name] = say(name, "required");
        return;
      }
      var limit = limitOf(spec);
      if (typeof value === "string" && limit !== null && chars(value) > limit) {
        errors[name] = say(name, "too_long");
        return;
      }
      var choices = choicesOf(spec);
      var picked = Array.isArray(value) ? value : value ? [value] : [];
      if (choices && picked.some(function (v) { return choices.indexOf(v) < 0; })) {
        errors[name] = say(name, "invalid");
      }
    });
    if (values.email && !errors.email && !EMAIL.test(values.email)) errors.email = say("email", "invalid");
    if (values.phone && !errors.phone && !plausiblePhone(values.phone)) errors.phone = say("phone", "invalid");

    var cross = {};
    var channel = values.preferred_contact;
    if (!values.email && !values.phone) {
      cross.email = say("email", "one_of");
      cross.phone = say("phone", "one_of");
    }
    if ((channel === "phone" || channel === "text") && !values.phone) cross.phone = say("phone", "for_channel");
    if (channel === "email" && !values.email) cross.email = say("email", "for_channel");
    if (channel === "text" && !values.consent_to_text) cross.consent_to_text = say("consent_to_text", "required");
    Object.keys(cross).forEach(function (name) {
      if (!(name in errors)) errors[name] = cross[name];
    });
    return errors;
  }

  // ----------------------------------------------------------------- errors

  function fieldBox(form, name) {
    return form.querySelector('[data-field="' + name + '"]');
  }

  function fieldControls(box) {
    return Array.prototype.slice.call(box.querySelectorAll("input, select, textarea"));
  }

  function clearErrors(form) {
    form.querySelectorAll(".ns-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".ns-has-error").forEach(function (el) { el.classList.remove("ns-has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      var original = el.getAttribute("data-ns-describedby");
      if (original) el.setAttribute("aria-describedby", original);
      else el.removeAttribute("aria-describedby");
      el.removeAttribute("data-ns-describedby");
    });
    form.querySelector(".ns-alert").textContent = "";
    form.querySelector(".ns-problem").textContent = "";
  }

  function markField(box, name, message, text) {
    var id = "ns-error-" + name;
    var error = document.createElement("p");
    error.className = "ns-error";
    error.id = id;
    var prefix = document.createElement("span");
    prefix.className = "ns-visually-hidden";
    prefix.textContent = text.errorPrefix;
    error.append(prefix, message);
    var inputs = fieldControls(box);
    var first = box.querySelector(".ns-option") || inputs[0];
    first.parentNode.insertBefore(error, first);
    box.classList.add("ns-has-error");
    inputs.forEach(function (input) {
      var original = input.getAttribute("aria-describedby") || "";
      input.setAttribute("data-ns-describedby", original);
      input.setAttribute("aria-describedby", (id + " " + original).trim());
      input.setAttribute("aria-invalid", "true");
    });
    if (!inputs[0].id) inputs[0].id = "ns-input-" + name;
    return inputs[0];
  }

  function showErrors(form, errors, text) {
    clearErrors(form);
    var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-field]"));
    var inForm = boxes.filter(function (box) { return box.getAttribute("data-field") in errors && !box.hidden; });
    var list = document.createElement("ul");
    var firstInput = null;
    inForm.forEach(function (box) {
      var name = box.getAttribute("data-field");
      var input = markField(box, name, errors[name], text);
      firstInput = firstInput || input;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + input.id;
      link.textContent = errors[name];
      link.addEventListener("click", function (event) {
        event.preventDefault();
        input.focus();
      });
      item.append(link);
      list.append(item);
    });
    Object.keys(errors).forEach(function (name) {
      if (inForm.some(function (box) { return box.getAttribute("data-field") === name; })) return;
      var item = document.createElement("li");
      item.textContent = errors[name];
      list.append(item);
    });
    var alert = form.querySelector(".ns-alert");
    var lead = document.createElement("p");
    lead.textContent = text.summary;
    alert.append(lead, list);
    (firstInput || alert).focus();
  }

  function showProblem(form, text) {
    form.querySelector(".ns-problem").textContent = text;
    form.querySelector(".ns-submit").focus();
  }

  // ----------------------------------------------------------------- answers

  function tapLabel(href, text) {
    var call = href.slice(0, 4) === "tel:";
    var rest = href.replace(/^(tel|sms):/, "");
    var number = rest.split("?")[0];
    var body = /[?&]body=([^&]*)/.exec(rest);
    if (body && !call) return fill(text.tapTextBody, { body: decodeURIComponent(body[1]), number: number });
    return fill(call ? text.tapCall : text.tapText, { number: number });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function crisisBox(resources, text) {
    var box = el("section", "ns-crisis");
    box.setAttribute("aria-labelledby", "ns-crisis-title");
    var title = el("h3", "ns-crisis-title", text.crisisTitle);
    title.id = "ns-crisis-title";
    title.tabIndex = -1;
    var list = el("ul");
    resources.forEach(function (res) {
      var item = el("li");
      item.append(el("strong", "", res.name || ""), el("span", "ns-how", res.how || ""));
      var actions = el("span", "ns-actions");
      [res.call, res.text].forEach(function (href) {
        if (typeof href !== "string" || !/^(tel|sms):/.test(href)) return;
        var link = el("a", "ns-tap", tapLabel(href, text));
        link.href = href;
        actions.append(link);
      });
      item.append(actions);
      list.append(item);
    });
    box.append(title, list);
    return box;
  }

  // The first answer was lost, so it may have carried crisis resources: offer the lifeline anyway.
  function lifelineNote(text) {
    var parts = text.lifeline.split("{number}");
    var note = el("p", "ns-lifeline", parts[0]);
    var link = el("a", "", "988");
    link.href = "tel:988";
    note.append(link, parts.slice(1).join("988"));
    return note;
  }

  // Bring the crisis lines' heading to the top of the screen and give it focus. Focusing alone
  // lets the browser scroll as little as it can, which on a phone leaves the heading (and
  // "Call 988") above the screen; so scroll first, then focus without scrolling again.
  function revealCrisis(box) {
    var title = box.querySelector(".ns-crisis-title");
    try {
      title.scrollIntoView({ block: "start", behavior: "instant" });
    } catch (e) {
      title.scrollIntoView(true); // a browser that does not know "instant"
    }
    title.focus({ preventScroll: true });
  }

  function showDone(form, message, resources, text, extra) {
    var done = el("section", "ns-done");
    done.tabIndex = -1;
    done.setAttribute("aria-labelledby", resources ? "ns-crisis-title" : "ns-done-title");
    var box = resources ? crisisBox(resources, text) : null;
    if (box) done.append(box);
    var title = el("h3", "", text.doneTitle);
    title.id = "ns-done-title";
    done.append(title, el("p", "ns-done-message", message));
    if (extra) done.append(extra);
    form.replaceWith(done);
    if (box) revealCrisis(box);
    else done.focus();
  }

  // A 429 (or other refusal) that carries crisis resources: the form stays, with the lines above its answer.
  // The crisis lines above the form's answer; they take the screen and the focus.
  function addCrisisBox(form, resources, text) {
    var old = form.querySelector(".ns-crisis");
    if (old) old.remove();
    var box = crisisBox(resources, text);
    var problem = form.querySelector(".ns-problem");
    problem.parentNode.insertBefore(box, problem);
    revealCrisis(box);
  }

  function showCrisisInForm(form, resources, message, text) {
    form.querySelector(".ns-problem").textContent = message;
    addCrisisBox(form, resources, text);
  }

  function crisisLines(body) {
    return body && Array.isArray(body.crisis_resources) && body.crisis_resources.length ? body.crisis_resources : null;
  }

  function problemText(body, fallback, text) {
    var detail = body && typeof body.detail === "string" ? body.detail : "";
    return detail ? detail + " " + text.kept : fallback;
  }

  function send(api, payload, key) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(api, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key },
      body: JSON.stringify(payload),
      signal: controller ? controller.signal : undefined,
    }).finally(function () {
      if (timer) clearTimeout(timer);
    });
  }

  function payloadOf(form, values, state) {
    var payload = {};
    Object.keys(values).forEach(function (name) {
      if (!isEmpty(values[name])) payload[name] = values[name];
    });
    payload.consent_to_contact = values.consent_to_contact === true;
    if ("consent_to_text" in values) payload.consent_to_text = values.consent_to_text === true;
    payload.submission_id = state.id;
    payload.started_at = state.startedAt;
    var language = askedLanguage(form, state.languages);
    if (language) payload.language = language;
    Object.keys(state.tracking).forEach(function (name) { payload[name] = state.tracking[name]; });
    return payload;
  }

  function setBusy(form, busy, text) {
    var button = form.querySelector(".ns-submit");
    button.disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
    form.querySelector(".ns-status").textContent = busy ? text.sending : "";
  }

  async function submit(form, state) {
    if (state.busy) return; // a second click while the first send is in flight
    state.busy = true;
    try {
      var values = readValues(form);
      var errors = state.clientChecks ? check(values, await state.schema, state.words) : {};
      var text = state.words.text;
      if (Object.keys(errors).length) {
        showErrors(form, errors, text);
        return;
      }
      clearErrors(form);
      setBusy(form, true, text);
      var res;
      try {
        res = await send(state.api, payloadOf(form, values, state), state.id);
      } catch (e) {
        setBusy(form, false, text);
        showProblem(form, text.network);
        return;
      }
      var body = null;
      try {
        body = await res.json();
      } catch (e) {
        body = null;
      }
      setBusy(form, false, text);
      if (res.status === 200 || res.status === 201) {
        var resources = body && Array.isArray(body.crisis_resources) ? body.crisis_resources : null;
        showDone(form, (body && body.message) || text.thanks, resources, text);
      } else if (res.status === 409) {
        showDone(form, text.already, null, text, lifelineNote(text));
      } else if (res.status === 422 && body && Array.isArray(body.errors)) {
        var byField = {};
        body.errors.forEach(function (e) {
          if (e && e.field && !(e.field in byField)) byField[e.field] = e.message;
        });
        showErrors(form, byField, text);
        // Fields to fix, but first the crisis lines when the message suggests a crisis.
        if (crisisLines(body)) addCrisisBox(form, crisisLines(body), text);
      } else if (crisisLines(body)) {
        showCrisisInForm(form, body.crisis_resources, problemText(body, text.server, text), text);
      } else if (res.status === 429 || res.status === 503) {
        showProblem(form, problemText(body, text.server, text));
      } else if (res.status >= 500) {
        showProblem(form, text.server);
      } else {
        showProblem(form, problemText(body, text.server, text));
      }
    } finally {
      state.busy = false;
    }
  }

  // ----------------------------------------------------------------- setup

  function syncTextConsent(form) {
    var box = form.querySelector(".ns-text-consent");
    if (!box) return;
    var chosen = form.querySelector('input[name="preferred_contact"]:checked');
    var wanted = !!chosen && chosen.value === "text";
    box.hidden = !wanted;
    fieldControls(box).forEach(function (input) { input.disabled = !wanted; });
  }

  function setHidden(form, name, value) {
    var input = form.elements[name];
    if (input) input.value = value;
  }

  function enhance(form) {
    if (form.getAttribute("data-ns-ready")) return;
    form.setAttribute("data-ns-ready", "true");
    form.noValidate = true;
    var state = {
      api: form.getAttribute("data-next-steps-api") || form.action,
      id: newId(), // once per page load; every retry reuses it
      startedAt: Date.now(),
      tracking: tracking(),
      schema: loadSchema(form),
      clientChecks: form.getAttribute("data-next-steps-client-checks") !== "off",
      busy: false,
    };
    state.words = wordsFor(form, null);
    state.languages = languagesOf(null);
    state.schema.then(function (schema) {
      state.words = wordsFor(form, schema);
      state.languages = languagesOf(schema);
    });
    state.tracking.source_page = pageAddress(window.location.href);
    setHidden(form, "submission_id", state.id);
    setHidden(form, "started_at", String(state.startedAt));
    setHidden(form, "source_page", state.tracking.source_page);
    if (askedLanguage(form, state.languages)) setHidden(form, "language", askedLanguage(form, state.languages));
    syncTextConsent(form);
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "preferred_contact") syncTextConsent(form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(form, state);
    });
  }

  function start() {
    document.querySelectorAll("form.ns-form").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
