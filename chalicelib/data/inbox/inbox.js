// The staff inbox: sign-in with Cognito, the lead list, a lead, stats and export. No framework, no build step.
//
// Tokens live in this tab's sessionStorage only (never localStorage, never a URL) and are dropped on
// sign-out, on a 401, and after the idle limit. Every lead is read from the staff API with the ID token;
// nothing here writes lead data anywhere but the page. All text is set with textContent, never as HTML.

const STORE = "next-steps-inbox";
const LEAD_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const TABS = ["new", "contacted", "scheduled", "closed", "spam"];
// The Closed tab lists closed and declined leads together.
const TAB_STATUSES = { closed: ["closed", "declined"] };
const WORK = [["contacted", "Contacted"], ["scheduled", "Scheduled"], ["closed", "Closed"], ["declined", "Declined"]];
const STATUS = { new: "New", contacted: "Contacted", scheduled: "Scheduled", closed: "Closed", declined: "Declined", spam: "Spam" };
const CHANNEL = { phone: "Phone call", text: "Text message", email: "Email" };
const BEST = { morning: "Morning", afternoon: "Afternoon", evening: "Evening", any: "Any time" };
const LANGUAGE = { en: "English", es: "Spanish (español)" };
const NOTICE = {
  pending: "Notice pending", sending: "Notice sending", sent: "Notice sent", failed: "Notice failed (retrying)",
  dead: "Notice failed (gave up)", suppressed: "No notice (held as spam)",
};
const SERVICE = {
  ketamine_infusion: "Ketamine infusion", ketamine_assisted_psychotherapy: "Ketamine-assisted psychotherapy (KAP)",
  consultation: "Consultation", other: "Other",
};
const TREATMENT = {
  therapy: "Therapy", ssri_snri: "SSRI/SNRI", other_medication: "Other medication", tms: "TMS",
  esketamine: "Esketamine", none: "None",
};
const ACTION = {
  list: "listed", view: "opened", claim: "claimed", note: "added a note", status: "changed the status",
  restore: "restored from spam", export: "exported", erase: "erased",
};
// An attempt the API refused (and told why) is in the trail too, its detail starting "refused".
const REFUSED_ACTION = { claim: "tried to claim it, but a colleague held it", status: "tried to change the status" };
const LABELS = {
  first_name: "First name", last_name: "Last name", email: "Email", phone: "Phone", preferred_contact: "Prefers",
  best_time: "Best time", service: "Interested in", tried_treatments: "Has tried", message: "Message",
  language: "Language", lead_id: "Lead id", created_at: "Received", status: "Status", priority: "Priority",
  assigned_to: "Held by", acknowledged_at: "Acknowledged", acknowledged_by: "Acknowledged by",
  first_contacted_at: "First contacted", updated_at: "Last status change", restored_at: "Restored from spam",
  started_at: "Form opened", expires_at: "Deleted automatically on", spam_reasons: "Why it was held as spam",
  reminded_at: "Reminder sent", notice_state: "State", notice_attempts: "Attempts", notice_sent_at: "Sent",
  notice_message_id: "Message id", notice_last_error: "Last error", notice_due_at: "Next try",
  contact: "May contact", text: "May text", notice_version: "Privacy notice version", at: "Given",
  ip: "From address", user_agent: "Browser", source_page: "Page", referrer: "Came from",
  utm_source: "Campaign source", utm_medium: "Campaign medium", utm_campaign: "Campaign",
  utm_term: "Campaign term", utm_content: "Campaign content",
};
const PERSON = ["first_name", "last_name", "email", "phone", "preferred_contact", "best_time", "service",
  "tried_treatments", "message", "language"];
const RECORD = ["lead_id", "created_at", "status", "priority", "assigned_to", "acknowledged_at", "acknowledged_by",
  "first_contacted_at", "updated_at", "restored_at", "reminded_at", "started_at", "spam_reasons", "expires_at"];
const NOTICE_FIELDS = ["notice_state", "notice_attempts", "notice_sent_at", "notice_message_id", "notice_last_error",
  "notice_due_at"];

const $ = (id) => document.getElementById(id);
const state = {
  config: null, tokens: null, me: null, active: 0, pending: null, view: "", tab: "new",
  rows: new Map(), known: null, fresh: new Set(), cursors: {}, paged: false, polling: false, lead: null,
  // The last answer to each first-page list query, with its ETag: a poll asks "changed since this one?"
  lists: new Map(),
};
const UNCHANGED = Symbol("unchanged");

// ---------------------------------------------------------------------------
// Small helpers: elements, times, words
// ---------------------------------------------------------------------------

function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

function say(text) {
  // Cleared first so the same words are announced again.
  const region = $("announce");
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

function show(el, text, kind) {
  el.textContent = text;
  el.className = "notice" + (kind ? " " + kind : "");
  el.hidden = !text;
}

function zone() { return state.config ? state.config.clinic_timezone : "America/New_York"; }

function clinicTime(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  return new Intl.DateTimeFormat("en-US", {
    timeZone: zone(), weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    timeZoneName: "short",
  }).format(at);
}

function ago(iso) {
  const minutes = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
  if (!Number.isFinite(minutes)) return "";
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

function when(iso) {
  return h("time", { datetime: iso }, `${ago(iso)} (${clinicTime(iso)})`);
}

// A colleague as the inbox names them: "you", else the name the lead (or list row) gives for them, else, for a
// record written before staff were named, the start of their username (a Cognito username is a UUID).
function who(username, name) {
  if (!username) return "nobody";
  if (state.me && username === state.me.username) return "you";
  return name || `staff member ${String(username).slice(0, 8)}`;
}

// The name a lead keeps for a staff member who worked it (claimed, opened, noted, changed or restored it).
function nameOn(lead, username) {
  const names = (lead && lead.staff_names) || {};
  return Object.prototype.hasOwnProperty.call(names, username) ? names[username] : "";
}

function phoneText(e164) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164 || "");
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

function label(key) {
  return LABELS[key] || key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function value(key, v, lead) {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (key === "expires_at" && typeof v === "number") return clinicTime(new Date(v * 1000).toISOString());
  if (typeof v === "string" && /(^|_)at$/.test(key) && !Number.isNaN(Date.parse(v))) return clinicTime(v);
  if (key === "priority") return v === "urgent" ? "Urgent" : "Normal";
  if (key === "preferred_contact") return CHANNEL[v] || v;
  if (key === "best_time") return BEST[v] || v;
  if (key === "language") return LANGUAGE[v] || v;
  if (key === "service") return SERVICE[v] || v;
  if (key === "status") return STATUS[v] || v;
  if (key === "notice_state") return NOTICE[v] || v;
  if (key === "assigned_to" || key === "acknowledged_by") return who(v, nameOn(lead, v));
  if (key === "phone") return phoneText(v);
  if (key === "tried_treatments" && Array.isArray(v)) return v.map((t) => TREATMENT[t] || t).join(", ");
  if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ");
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${label(k)}: ${value(k, x)}`).join("; ");
  return String(v);
}

function fields(lead, keys) {
  return h("dl", { class: "fields" }, keys.filter((k) => k in lead).map((k) => [
    h("dt", {}, label(k)),
    h("dd", {}, k === "message" ? h("p", { class: "message" }, lead[k]) : value(k, lead[k], lead)),
  ]));
}

// ---------------------------------------------------------------------------
// Tokens and the idle limit
// ---------------------------------------------------------------------------

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return {};
  }
}

function keep(result) {
  const previous = state.tokens || {};
  state.tokens = {
    id: result.IdToken, access: result.AccessToken, refresh: result.RefreshToken || previous.refresh,
    exp: (claims(result.IdToken).exp || 0) * 1000,
  };
  save();
}

function save() {
  if (state.tokens) sessionStorage.setItem(STORE, JSON.stringify({ ...state.tokens, active: state.active }));
}

function idleMs() { return (state.config ? state.config.idle_seconds : 900) * 1000; }

function idleWords() {
  const seconds = idleMs() / 1000;
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? "" : "s"}` : `${seconds} seconds`;
}

let lastSaved = 0;
function active() {
  if (!state.tokens) return;
  state.active = Date.now();
  if (state.active - lastSaved > 5000) { lastSaved = state.active; save(); }
}

function watchIdle() {
  for (const kind of ["pointerdown", "keydown", "wheel", "touchstart", "input"]) {
    document.addEventListener(kind, active, { passive: true, capture: true });
  }
  window.setInterval(() => {
    if (state.tokens && Date.now() - state.active >= idleMs()) {
      signOut(`You were signed out after ${idleWords()} without activity, to keep lead details private. `
        + "Sign in again to carry on.");
    }
  }, 1000);
}

// ---------------------------------------------------------------------------
// Cognito (called from the page; the password never reaches the staff API)
// ---------------------------------------------------------------------------

class CognitoError extends Error {
  constructor(code, message) { super(message || code); this.code = code; }
}

async function cognito(target, body) {
  let answer;
  try {
    answer = await fetch(state.config.cognito.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body), credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    });
  } catch {
    throw new CognitoError("Network");
  }
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new CognitoError(String(data.__type || "Error").split("#").pop(), data.message);
  return data;
}

function signInProblem(error) {
  const code = error instanceof CognitoError ? error.code : "";
  if (code === "NotAuthorizedException" || code === "UserNotFoundException") {
    return state.pending
      ? "This sign-in step took too long or was already used. Start again with your email and password."
      : "That email and password do not match. Check them and try again.";
  }
  if (code === "CodeMismatchException" || code === "EnableSoftwareTokenMFAException" || code === "ExpiredCodeException") {
    return "That code did not match. Enter the code your authenticator app shows now (it changes every 30 seconds).";
  }
  if (code === "InvalidPasswordException") {
    return "That password cannot be used: choose at least 12 characters, with upper- and lower-case letters and a number.";
  }
  if (code === "TooManyRequestsException" || code === "LimitExceededException") {
    return "Too many tries. Wait a minute, then try again.";
  }
  if (code === "PasswordResetRequiredException") return "Your password must be reset: ask the clinic's admin.";
  if (code === "Network") return "Sign-in could not be reached. Check the connection, then try again.";
  return `Sign-in did not work (${code || "unknown error"}). Try again, or ask the clinic's admin.`;
}

function step(formId, message) {
  for (const id of ["password-form", "code-form", "new-password-form", "enrol-form"]) $(id).hidden = id !== formId;
  show($("signin-message"), message || "", message ? "problem" : "");
  const first = $(formId).querySelector("input");
  if (first) first.focus();
}

function restart(message) {
  state.pending = null;
  $("password").value = "";
  step("password-form", message);
}

async function challenge(answer) {
  if (answer.AuthenticationResult) return signedIn(answer.AuthenticationResult);
  const params = answer.ChallengeParameters || {};
  state.pending = {
    name: answer.ChallengeName, session: answer.Session,
    username: params.USER_ID_FOR_SRP || params.USERNAME || state.pending?.username || $("email").value.trim(),
    email: $("email").value.trim(),
  };
  if (answer.ChallengeName === "SOFTWARE_TOKEN_MFA") return step("code-form");
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") return step("new-password-form");
  if (answer.ChallengeName === "MFA_SETUP") return enrol();
  return restart(`This sign-in asks for a step the inbox does not offer (${answer.ChallengeName}). Ask the clinic's admin.`);
}

async function enrol() {
  const associated = await cognito("AssociateSoftwareToken", { Session: state.pending.session });
  state.pending.session = associated.Session || state.pending.session;
  const secret = associated.SecretCode;
  $("secret").textContent = secret.replace(/(.{4})/g, "$1 ").trim();
  const label = encodeURIComponent(`Next Steps:${state.pending.email}`);
  const uri = `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent("Next Steps")}`;
  await drawQr($("qr"), uri);
  step("enrol-form");
}

async function drawQr(box, text) {
  const { encode } = await import("./qr.js");
  const qr = encode(text, { ecc: "M", border: 4 });
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${qr.size} ${qr.size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("aria-hidden", "true");
  const back = document.createElementNS(ns, "rect");
  back.setAttribute("width", qr.size);
  back.setAttribute("height", qr.size);
  back.setAttribute("fill", "#fff");
  let d = "";
  qr.data.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z`; }));
  const dots = document.createElementNS(ns, "path");
  dots.setAttribute("d", d);
  dots.setAttribute("fill", "#000");
  svg.append(back, dots);
  box.replaceChildren(svg);
  box.dataset.size = String(qr.size);
}

function onSubmit(id, handler) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $(id).querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await handler();
    } catch (error) {
      const stale = error instanceof CognitoError && error.code === "NotAuthorizedException" && state.pending;
      if (stale) restart(signInProblem(error));
      else step(id, signInProblem(error));
    } finally {
      button.disabled = false;
    }
  });
}

function wireSignIn() {
  onSubmit("password-form", async () => {
    const email = $("email").value.trim();
    const password = $("password").value;
    if (!email || !password) return step("password-form", "Enter your email address and your password.");
    state.pending = null;
    const answer = await cognito("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH", ClientId: state.config.cognito.client_id,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    });
    $("password").value = "";
    await challenge(answer);
  });
  onSubmit("code-form", async () => {
    const code = $("code").value.replace(/\s/g, "");
    if (!/^\d{6}$/.test(code)) return step("code-form", "Enter the 6 digits your authenticator app shows.");
    const answer = await cognito("RespondToAuthChallenge", {
      ChallengeName: "SOFTWARE_TOKEN_MFA", ClientId: state.config.cognito.client_id, Session: state.pending.session,
      ChallengeResponses: { USERNAME: state.pending.username, SOFTWARE_TOKEN_MFA_CODE: code },
    });
    $("code").value = "";
    await challenge(answer);
  });
  onSubmit("new-password-form", async () => {
    const password = $("new-password").value;
    if (password !== $("new-password-again").value) {
      return step("new-password-form", "The two passwords are not the same. Type them again.");
    }
    const answer = await cognito("RespondToAuthChallenge", {
      ChallengeName: "NEW_PASSWORD_REQUIRED", ClientId: state.config.cognito.client_id, Session: state.pending.session,
      ChallengeResponses: { USERNAME: state.pending.username, NEW_PASSWORD: password },
    });
    $("new-password").value = "";
    $("new-password-again").value = "";
    await challenge(answer);
  });
  onSubmit("enrol-form", async () => {
    const code = $("enrol-code").value.replace(/\s/g, "");
    if (!/^\d{6}$/.test(code)) return step("enrol-form", "Enter the 6 digits your authenticator app shows.");
    const verified = await cognito("VerifySoftwareToken", {
      Session: state.pending.session, UserCode: code, FriendlyDeviceName: "Authenticator app",
    });
    const answer = await cognito("RespondToAuthChallenge", {
      ChallengeName: "MFA_SETUP", ClientId: state.config.cognito.client_id,
      Session: verified.Session || state.pending.session, ChallengeResponses: { USERNAME: state.pending.username },
    });
    $("enrol-code").value = "";
    await challenge(answer);
  });
  for (const button of document.querySelectorAll("[data-restart]")) button.addEventListener("click", () => restart());
}

async function signedIn(result) {
  state.pending = null;
  keep(result);
  active();
  save();
  await start();
}

async function refresh() {
  const answer = await cognito("InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: state.config.cognito.client_id,
    AuthParameters: { REFRESH_TOKEN: state.tokens.refresh },
  });
  keep(answer.AuthenticationResult);
}

function signOut(message) {
  const tokens = state.tokens;
  state.tokens = null;
  state.me = null;
  sessionStorage.removeItem(STORE);
  if (tokens && tokens.refresh && state.config) {
    // Best effort: the refresh token stops working at once (the ID token is dropped here).
    cognito("RevokeToken", { Token: tokens.refresh, ClientId: state.config.cognito.client_id }).catch(() => {});
  }
  // Nothing of a lead stays on the page.
  $("leads").replaceChildren();
  $("lead-view").replaceChildren();
  $("stats").replaceChildren();
  state.rows.clear();
  state.known = null;
  state.fresh.clear();
  state.lead = null;
  state.lists.clear();
  document.title = "Next Steps inbox";
  $("nav").hidden = true;
  $("who").hidden = true;
  showView("signin");
  restart();
  show($("signin-message"), message || "You are signed out.", message ? "problem" : "done");
  $("signin-title").focus();
}

// ---------------------------------------------------------------------------
// The staff API
// ---------------------------------------------------------------------------

class Problem extends Error {
  constructor(status, body) { super((body && body.detail) || `HTTP ${status}`); this.status = status; this.body = body || {}; }
}

async function api(path, { method = "GET", body, raw = false, seen } = {}) {
  if (!state.tokens) throw new Problem(401);
  if (state.tokens.exp - Date.now() < 120000) {
    try {
      await refresh();
    } catch {
      signOut("Your sign-in has ended. Sign in again to carry on.");
      throw new Problem(401);
    }
  }
  let answer;
  try {
    answer = await fetch(path, {
      method, cache: "no-store", credentials: "omit",
      headers: {
        Authorization: `Bearer ${state.tokens.id}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
        ...(seen ? { "If-None-Match": seen } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new Problem(0, { detail: "The inbox could not be reached. Check the connection; it will try again." });
  }
  if (answer.status === 401) {
    signOut("Your sign-in has ended. Sign in again to carry on.");
    throw new Problem(401);
  }
  if (seen && answer.status === 304) return UNCHANGED;
  if (raw && answer.ok) return answer;
  const data = answer.status === 204 ? null : await answer.json().catch(() => null);
  if (!answer.ok) throw new Problem(answer.status, data);
  return data;
}

// ---------------------------------------------------------------------------
// Views and routing (#status=new, #lead=<id>, #stats, #export)
// ---------------------------------------------------------------------------

function showView(name) {
  state.view = name;
  for (const id of ["signin", "list-view", "lead-view", "stats-view", "export-view"]) {
    $(id).hidden = id !== (name === "signin" ? "signin" : `${name}-view`);
  }
  for (const link of $("nav").querySelectorAll("a")) {
    const current = link.dataset.view === name || (name === "lead" && link.dataset.view === "list");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function parseHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const lead = (params.get("lead") || "").toUpperCase();
  if (LEAD_ID.test(lead)) return { view: "lead", lead };
  if (params.has("stats")) return { view: "stats" };
  if (params.has("export")) return { view: "export" };
  const status = params.get("status");
  return { view: "list", tab: TABS.includes(status) ? status : "new" };
}

async function route(focus = true) {
  if (!state.tokens) return;
  const where = parseHash();
  if (where.view === "lead") return openLead(where.lead, focus);
  showView(where.view);
  if (where.view === "stats") return showStats(focus);
  if (where.view === "export") return showExport(focus);
  state.tab = where.tab;
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.status === state.tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  $("list-title").textContent = `Leads: ${STATUS[state.tab]}`;
  $("leads").replaceChildren();
  state.rows.clear();
  state.cursors = {};
  state.paged = false;
  $("list-state").textContent = "Loading…";
  if (focus) $("list-title").focus();
  await loadList(false);
}

async function start() {
  try {
    state.me = await api("me");
  } catch {
    return;
  }
  const address = state.me.email || state.me.username;
  // The name colleagues see on the leads this member works, when it is not the email itself.
  const named = state.me.name && state.me.name !== address ? `${state.me.name}, ` : "";
  $("me").textContent = `${named}${address} (${(state.me.roles || []).join(", ") || "no role"})`;
  $("nav").hidden = false;
  $("who").hidden = false;
  show($("signin-message"), "");
  await route();
  poll.timer = window.setTimeout(poll, pollMs());
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

function pollMs() {
  const seconds = state.config ? state.config.poll_seconds : 3;
  // A tab in the background looks less often; it still announces what arrives.
  return (document.hidden ? Math.max(30, seconds) : seconds) * 1000;
}

async function poll() {
  window.clearTimeout(poll.timer);
  if (!state.tokens) return;
  try {
    if (!state.polling) {
      state.polling = true;
      if (state.view === "list") await loadList(true);
      else await watchNew(true);
    }
  } catch {
    // Shown by the list; tried again on the next poll.
  } finally {
    state.polling = false;
    if (state.tokens) poll.timer = window.setTimeout(poll, pollMs());
  }
}

async function page(status, cursor, polled = false) {
  const query = new URLSearchParams({ status, limit: "50" });
  // The list's language filter (a Spanish-speaking coordinator's own leads); arrivals elsewhere are all languages.
  if (state.view === "list" && state.language) query.set("language", state.language);
  if (cursor) query.set("cursor", cursor);
  const path = `leads?${query}`;
  // A poll asks for a first page only if it changed since the last answer: an unchanged one is a 304,
  // which holds no lead (and so is not in the audit trail); the page shows the answer it already has.
  const kept = !cursor && polled ? state.lists.get(path) : undefined;
  const answer = await api(path, { raw: true, seen: kept && kept.tag });
  if (answer === UNCHANGED) return kept.data;
  const data = await answer.json();
  const tag = answer.headers.get("ETag");
  if (!cursor && tag) state.lists.set(path, { tag, data });
  return data;
}

async function watchNew(polled = false) {
  const first = await page("new", undefined, polled);
  arrivals(first.leads);
  return first;
}

function arrivals(leads) {
  const ids = leads.map((lead) => lead.lead_id);
  if (state.known === null) {
    state.known = new Set(ids);
    return;
  }
  const arrived = leads.filter((lead) => !state.known.has(lead.lead_id));
  for (const lead of arrived) { state.known.add(lead.lead_id); state.fresh.add(lead.lead_id); }
  document.title = state.fresh.size ? `(${state.fresh.size} new) Next Steps inbox` : "Next Steps inbox";
  if (!arrived.length) return;
  const urgent = arrived.filter((lead) => lead.priority === "urgent").length;
  const names = arrived.map((lead) => lead.first_name || "someone").join(", ");
  say(`${arrived.length} new lead${arrived.length === 1 ? "" : "s"}${urgent ? `, ${urgent} urgent` : ""}: ${names}.`);
}

async function loadList(polled) {
  const tab = state.tab;
  const statuses = TAB_STATUSES[tab] || [tab];
  let leads = [];
  try {
    const pages = await Promise.all(
      statuses.map((status) => (status === "new" && polled ? watchNew(true) : page(status, undefined, polled))),
    );
    if (tab !== "new") await watchNew(polled);
    else if (!polled) arrivals(pages[0].leads);
    if (state.tab !== tab || state.view !== "list") return;
    pages.forEach((p, i) => {
      // Once more pages are shown, the cursors stay those of the last page shown.
      if (!state.paged) state.cursors[statuses[i]] = p.next;
      leads = leads.concat(p.leads);
    });
  } catch (error) {
    if (state.tab === tab && error instanceof Problem && error.status !== 401) {
      $("list-state").textContent = error.message;
    }
    throw error;
  }
  if (statuses.length > 1) leads.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  renderRows(leads);
}

function renderRows(leads) {
  const list = $("leads");
  const keepIds = new Set(leads.map((lead) => lead.lead_id));
  for (const [id, row] of state.rows) {
    // Once "Show more" was used, rows of the later pages are left as they are (until the tab is opened again).
    if (!keepIds.has(id) && !state.paged) {
      if (row.contains(document.activeElement)) $("list-title").focus();
      row.remove();
      state.rows.delete(id);
    }
  }
  leads.forEach((lead, index) => {
    let row = state.rows.get(lead.lead_id);
    if (!row) row = newRow(lead);
    fillRow(row, lead);
    // Only rows out of place are moved, so the focused row keeps its focus.
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
  });
  const more = Object.values(state.cursors).some(Boolean);
  $("more").hidden = !more;
  const count = list.children.length;
  $("list-state").textContent = count
    ? `${count}${more ? "+" : ""} lead${count === 1 ? "" : "s"}, newest first${state.tab === "new" ? ", urgent ones on top" : ""}.`
      + ` Times are ${zone().replace(/_/g, " ")} time.`
    : `No ${STATUS[state.tab].toLowerCase()} leads.`;
}

function newRow(lead) {
  const row = h("li", { class: "lead" }, h("a", { class: "open", href: `#lead=${lead.lead_id}` }), h("p", { class: "facts" }));
  state.rows.set(lead.lead_id, row);
  return row;
}

function fillRow(row, lead) {
  const urgent = lead.priority === "urgent";
  row.classList.toggle("urgent", urgent);
  row.dataset.leadId = lead.lead_id;
  row.dataset.status = lead.status;
  const link = row.querySelector("a.open");
  fill(link,
    lead.first_name || "(no name)",
    urgent ? h("span", { class: "badge urgent" }, "Urgent") : null,
    state.fresh.has(lead.lead_id) ? h("span", { class: "badge fresh" }, "Just in") : null,
  );
  const channel = `${CHANNEL[lead.preferred_contact] || lead.preferred_contact}, ${(BEST[lead.best_time] || "any time").toLowerCase()}`;
  fill(row.querySelector(".facts"),
    h("span", { class: "when" }, when(lead.created_at)),
    h("span", {}, channel),
    h("span", {}, LANGUAGE[lead.language] || lead.language || "English"),
    h("span", { class: "holder" }, lead.assigned_to ? `Held by ${who(lead.assigned_to, lead.assigned_to_name)}` : "Unclaimed"),
    state.tab === "closed" ? h("span", {}, STATUS[lead.status]) : null,
    h("span", { class: "muted" }, NOTICE[lead.notice_state] || lead.notice_state || ""),
  );
}

async function more() {
  state.paged = true;
  const statuses = TAB_STATUSES[state.tab] || [state.tab];
  const added = [];
  for (const status of statuses) {
    if (!state.cursors[status]) continue;
    const next = await page(status, state.cursors[status]);
    state.cursors[status] = next.next;
    added.push(...next.leads);
  }
  // The next page goes under what is shown.
  for (const lead of added.filter((l) => !state.rows.has(l.lead_id))) {
    const row = newRow(lead);
    fillRow(row, lead);
    $("leads").append(row);
  }
  $("more").hidden = !Object.values(state.cursors).some(Boolean);
  say(`${added.length} more lead${added.length === 1 ? "" : "s"} shown.`);
}

// ---------------------------------------------------------------------------
// A lead
// ---------------------------------------------------------------------------

async function openLead(id, focus = true, message = null) {
  showView("lead");
  const view = $("lead-view");
  if (!state.lead || state.lead.lead_id !== id) view.replaceChildren(h("p", { class: "hint" }, "Opening the lead…"));
  let lead;
  try {
    lead = await api(`leads/${id}`);
  } catch (error) {
    if (error.status === 401) return;
    fill(view,
      h("a", { class: "back", href: `#status=${state.tab}` }, "Back to the leads"),
      h("h1", { id: "lead-title", tabindex: "-1" }, error.status === 404 ? "No such lead" : "The lead could not be opened"),
      h("p", { class: "notice problem" }, error.status === 404
        ? "There is no lead with that id. It may have been erased."
        : error.message),
    );
    if (focus) $("lead-title").focus();
    return;
  }
  state.lead = lead;
  state.fresh.delete(id);
  renderLead(lead, message);
  if (message) $("lead-message").focus();
  else if (focus) $("lead-title").focus();
}

function contactLinks(lead) {
  const consent = lead.consent || {};
  const links = [];
  if (lead.phone) links.push(["phone", h("a", { class: "button", href: `tel:${lead.phone}` }, `Call ${phoneText(lead.phone)}`)]);
  // Texting only with the person's consent to be texted.
  if (lead.phone && consent.text) links.push(["text", h("a", { class: "button", href: `sms:${lead.phone}` }, `Text ${phoneText(lead.phone)}`)]);
  if (lead.email) links.push(["email", h("a", { class: "button", href: `mailto:${lead.email}` }, `Email ${lead.email}`)]);
  links.sort((a, b) => (a[0] === lead.preferred_contact ? -1 : b[0] === lead.preferred_contact ? 1 : 0));
  return links.map(([channel, link]) => {
    if (channel !== lead.preferred_contact) link.classList.add("quiet");
    else link.append(" (preferred)");
    return link;
  });
}

function renderLead(lead, message) {
  const urgent = lead.priority === "urgent";
  const mine = state.me && lead.assigned_to === state.me.username;
  const admin = state.me && (state.me.roles || []).includes("admin");
  const name = [lead.first_name, lead.last_name].filter(Boolean).join(" ") || "(no name)";
  const work = [];
  if (lead.status === "spam") {
    work.push(h("button", { type: "button", id: "restore", onclick: () => act("restore") }, "Not spam: restore to New"));
  } else {
    if (!lead.assigned_to) work.push(h("button", { type: "button", id: "claim", onclick: () => act("claim") }, "Claim this lead"));
    for (const [status, words] of WORK) {
      if (status !== lead.status) {
        work.push(h("button", { type: "button", class: "quiet", "data-status": status, onclick: () => setStatus(status) },
          `Mark ${words.toLowerCase()}`));
      }
    }
  }
  const known = new Set([...PERSON, ...RECORD, ...NOTICE_FIELDS, "consent", "source", "notes", "history", "staff_names"]);
  const holder = who(lead.assigned_to, nameOn(lead, lead.assigned_to));
  const other = Object.keys(lead).filter((k) => !known.has(k)).sort();
  const sourceFields = lead.source || {};
  fill($("lead-view"),
    h("a", { class: "back", href: `#status=${state.tab}` }, `Back to ${STATUS[state.tab]} leads`),
    h("div", { class: `lead-head${urgent ? " urgent" : ""}` },
      h("h1", { id: "lead-title", tabindex: "-1" }, name, urgent ? h("span", { class: "badge urgent" }, "Urgent") : null),
      urgent ? h("p", { class: "urgent-line" }, "Their message suggests they may be in crisis: call back at once.") : null,
      h("p", { class: "by" }, "Received ", when(lead.created_at), ". Status: ", h("strong", { id: "lead-status" }, STATUS[lead.status] || lead.status),
        ". Held by ", h("strong", { id: "lead-holder" }, holder), "."),
    ),
    h("p", { id: "lead-message", class: "notice", role: "status", tabindex: "-1", hidden: true }),
    h("section", { "aria-labelledby": "reach-h" },
      h("h2", { id: "reach-h" }, "Reach them"),
      h("p", {}, `Prefers ${(CHANNEL[lead.preferred_contact] || "").toLowerCase()}, ${(BEST[lead.best_time] || "any time").toLowerCase()}.`),
      h("div", { class: "actions" }, contactLinks(lead))),
    h("section", { "aria-labelledby": "work-h" },
      h("h2", { id: "work-h" }, "Work this lead"),
      mine ? h("p", {}, "You hold this lead.") : lead.assigned_to ? h("p", {}, `Held by ${holder}.`) : null,
      h("div", { class: "actions" }, work)),
    h("section", { "aria-labelledby": "told-h" }, h("h2", { id: "told-h" }, "What they told us"),
      fields({ language: "en", ...lead }, PERSON)),
    h("section", { "aria-labelledby": "consent-h" }, h("h2", { id: "consent-h" }, "Consent"),
      lead.consent ? fields(lead.consent, Object.keys(lead.consent)) : h("p", {}, "No consent record.")),
    h("section", { "aria-labelledby": "source-h" }, h("h2", { id: "source-h" }, "Where they came from"),
      Object.keys(sourceFields).length ? fields(sourceFields, Object.keys(sourceFields)) : h("p", {}, "Not known (no page or campaign was sent).")),
    h("section", { "aria-labelledby": "record-h" }, h("h2", { id: "record-h" }, "The lead's record"),
      fields(lead, [...RECORD, ...other])),
    h("section", { "aria-labelledby": "notice-h" }, h("h2", { id: "notice-h" }, "Staff notice"), fields(lead, NOTICE_FIELDS)),
    notesSection(lead),
    historySection(lead),
    admin ? eraseSection(lead) : null,
  );
  if (message) show($("lead-message"), message.text, message.kind);
}

function notesSection(lead) {
  const notes = lead.notes || [];
  const form = h("form", { id: "note-form", novalidate: true },
    h("label", { for: "note-text" }, "Add a note"),
    h("textarea", { id: "note-text", maxlength: "2000", "aria-describedby": "note-hint" }),
    h("p", { id: "note-hint", class: "hint" }, "Up to 2,000 characters. Notes are kept with the lead and shown to staff only."),
    h("button", { type: "submit" }, "Add note"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note-text").value;
    if (!text.trim()) return leadMessage("Write the note first.", "problem");
    try {
      await api(`leads/${lead.lead_id}/notes`, { method: "POST", body: { text } });
    } catch (error) {
      return leadMessage(problemWords(error), "problem");
    }
    await openLead(lead.lead_id, false, { text: "Note added.", kind: "done" });
  });
  return h("section", { "aria-labelledby": "notes-h" },
    h("h2", { id: "notes-h" }, `Notes (${notes.length})`),
    notes.length
      ? h("ul", { class: "notes" }, notes.map((note) => h("li", {},
        h("span", { class: "by" }, `${who(note.author, nameOn(lead, note.author))}, ${clinicTime(note.at)}`),
        h("p", {}, note.text))))
      : h("p", { class: "hint" }, "No notes yet."),
    form);
}

function historySection(lead) {
  const records = lead.history || [];
  return h("section", { "aria-labelledby": "history-h" },
    h("h2", { id: "history-h" }, "History"),
    records.length
      ? h("ol", { class: "history" }, records.map((r) => {
        const refused = /^refused\b/.test(r.detail || "");
        const detail = (r.detail || "").replace(/^refused ?/, "");
        const did = refused ? REFUSED_ACTION[r.action] || `tried: ${ACTION[r.action] || r.action}` : ACTION[r.action] || r.action;
        return h("li", {},
          `${clinicTime(r.at)}: ${who(r.actor, nameOn(lead, r.actor))} (${r.role || "staff"}) ${did}`,
          detail && r.action === "status" ? ` (${detail.replace("->", " to ")}${refused ? ", but it had changed" : ""})` : "",
          r.detail && r.action === "view" && r.detail === "acknowledged" ? " (first to open it)" : "");
      }))
      : h("p", { class: "hint" }, "Nothing yet."));
}

function eraseSection(lead) {
  const input = h("input", { id: "erase-confirm", autocomplete: "off", spellcheck: "false", "aria-describedby": "erase-hint" });
  const button = h("button", { type: "submit", class: "danger", id: "erase", disabled: true }, "Erase this lead");
  input.addEventListener("input", () => { button.disabled = input.value.trim().toUpperCase() !== "ERASE"; });
  const form = h("form", { novalidate: true },
    h("label", { for: "erase-confirm" }, "Type ERASE to confirm"), input, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (input.value.trim().toUpperCase() !== "ERASE") return;
    try {
      await api(`leads/${lead.lead_id}`, { method: "DELETE" });
    } catch (error) {
      return leadMessage(problemWords(error), "problem");
    }
    state.lead = null;
    location.hash = `#status=${state.tab}`;
    say("The lead was erased. Only its history remains in the audit trail.");
  });
  return h("section", { class: "erase", "aria-labelledby": "erase-h" },
    h("h2", { id: "erase-h" }, "Erase this lead"),
    h("p", { id: "erase-hint" }, "Deletes the lead, its notes and its contact details for good (for a person who asked to be forgotten). "
      + "The audit trail keeps who erased it and when. This cannot be undone."),
    form);
}

function leadMessage(text, kind) {
  const box = $("lead-message");
  if (!box) return;
  show(box, text, kind);
  box.focus();
}

function problemWords(error) {
  if (!(error instanceof Problem)) return "Something went wrong. Try again.";
  const body = error.body || {};
  if (error.status === 403) return "Your role may not do that.";
  if (error.status === 422 && Array.isArray(body.errors)) return body.errors.map((e) => e.message).join(" ");
  return body.detail || error.message;
}

async function act(kind) {
  const lead = state.lead;
  let message;
  try {
    const done = await api(`leads/${lead.lead_id}/${kind}`, { method: "POST", body: {} });
    const notice = done && done.notice === "sent" ? "its staff notice was sent" : "its staff notice will be sent shortly";
    message = kind === "claim"
      ? { text: "You hold this lead now.", kind: "done" }
      : { text: `Restored to New, and ${notice}.`, kind: "done" };
  } catch (error) {
    if (error.status === 401) return;
    if (error.status === 409 && kind === "claim") {
      const holder = who(error.body.assigned_to, error.body.assigned_to_name);
      message = { text: `Not claimed: ${holder} already holds this lead.`, kind: "problem" };
    } else if (error.status === 409) {
      message = { text: `Not restored: the lead is ${STATUS[error.body.current] || "no longer spam"} now.`, kind: "problem" };
    } else {
      message = { text: problemWords(error), kind: "problem" };
    }
  }
  await openLead(lead.lead_id, false, message);
}

async function setStatus(status) {
  const lead = state.lead;
  let message;
  try {
    await api(`leads/${lead.lead_id}/status`, { method: "POST", body: { status, expected: lead.status } });
    message = { text: `Marked ${STATUS[status].toLowerCase()}.`, kind: "done" };
  } catch (error) {
    if (error.status === 401) return;
    if (error.status === 409) {
      const now = STATUS[error.body.current] || error.body.current;
      message = {
        text: `Nothing was changed: someone else changed this lead first. It is ${now} now, not ${STATUS[lead.status]} `
          + `as you saw it. Here it is as it is now; mark it again if you still need to.`,
        kind: "problem",
      };
    } else {
      message = { text: problemWords(error), kind: "problem" };
    }
  }
  await openLead(lead.lead_id, false, message);
}

// ---------------------------------------------------------------------------
// Stats and export (days are the clinic's days)
// ---------------------------------------------------------------------------

function zoneParts(at) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone(), hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(at);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get("year"), m: get("month"), d: get("day"), hh: get("hour"), mm: get("minute"), ss: get("second") };
}

function today() {
  const p = zoneParts(new Date());
  return `${p.y}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`;
}

function addDays(day, n) {
  const at = new Date(`${day}T12:00:00Z`);
  at.setUTCDate(at.getUTCDate() + n);
  return at.toISOString().slice(0, 10);
}

function clinicMidnight(day) {
  // The instant the clinic's clock shows 00:00 on that day (the zone's offset found, then checked once for DST).
  const [y, m, d] = day.split("-").map(Number);
  let guess = Date.UTC(y, m - 1, d);
  for (let i = 0; i < 2; i++) {
    const p = zoneParts(new Date(guess));
    const shown = Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss);
    guess -= shown - Date.UTC(y, m - 1, d);
  }
  return new Date(guess);
}

function range(prefix) {
  const from = $(`${prefix}-from`).value;
  const to = $(`${prefix}-to`).value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to)) return { error: "Choose both days." };
  if (from > to) return { error: "The first day must not be after the last." };
  const lower = clinicMidnight(from).toISOString();
  const upper = new Date(clinicMidnight(addDays(to, 1)).getTime() - 1).toISOString();
  return { query: new URLSearchParams({ from: lower, to: upper }), from, to };
}

function defaultRange(prefix) {
  if (!$(`${prefix}-to`).value) $(`${prefix}-to`).value = today();
  if (!$(`${prefix}-from`).value) $(`${prefix}-from`).value = addDays(today(), -29);
}

async function showStats(focus) {
  defaultRange("stats");
  if (focus) $("stats-title").focus();
  await loadStats();
}

async function loadStats() {
  const chosen = range("stats");
  if (chosen.error) return show($("stats-message"), chosen.error, "problem");
  show($("stats-message"), "");
  let stats;
  try {
    stats = await api(`stats?${chosen.query}`);
  } catch (error) {
    if (error.status !== 401) show($("stats-message"), problemWords(error), "problem");
    return;
  }
  const out = [h("p", {}, `Leads received from ${chosen.from} to ${chosen.to}: `, h("strong", {}, String(stats.total ?? "—")), ".")];
  // Counts by status first, the day-by-day table last.
  const order = (key) => (key === "totals" ? 0 : key === "by_day" ? 2 : 1);
  const keys = Object.keys(stats).filter((k) => !["since", "until", "total"].includes(k));
  for (const key of keys.sort((a, b) => order(a) - order(b))) out.push(statsBlock(key, stats[key], 2));
  $("stats").replaceChildren(...out);
  say("Stats updated.");
}

function statsLabel(key) {
  const words = { totals: "By status", by_day: "By day (UTC days)", by_source: "By source", by_campaign: "By campaign",
    notices: "Staff notices", states: "Notice states", median_seconds: "Median seconds to notice",
    max_seconds: "Slowest notice (seconds)", delivered: "Notices delivered" };
  return words[key] || STATUS[key] || label(key);
}

function scroller(name, table) {
  // A wide table scrolls on its own (by keyboard too), so the page never scrolls sideways.
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": name }, table);
}

function statsBlock(key, v, level) {
  const heading = h(`h${Math.min(level, 4)}`, {}, statsLabel(key));
  if (v === null || typeof v !== "object") return h("p", {}, `${statsLabel(key)}: `, h("strong", {}, v === null ? "—" : String(v)));
  const entries = Object.entries(v);
  if (entries.every(([, x]) => x === null || typeof x !== "object")) {
    return h("div", {}, heading, scroller(statsLabel(key), h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "What"), h("th", { scope: "col", class: "n" }, "Count"))),
      h("tbody", {}, entries.map(([k, x]) => h("tr", {}, h("th", { scope: "row" }, statsLabel(k) || "(none)"),
        h("td", { class: "n" }, x === null ? "—" : String(x))))))));
  }
  const columns = [...new Set(entries.flatMap(([, x]) => (x && typeof x === "object" ? Object.keys(x) : [])))];
  const flat = entries.every(([, x]) => x && typeof x === "object" && Object.values(x).every((y) => typeof y !== "object"));
  if (flat) {
    return h("div", {}, heading, scroller(statsLabel(key), h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, key === "by_day" ? "Day (UTC)" : "What"),
        columns.map((c) => h("th", { scope: "col", class: "n" }, statsLabel(c))))),
      h("tbody", {}, entries.map(([k, x]) => h("tr", {}, h("th", { scope: "row" }, k),
        columns.map((c) => h("td", { class: "n" }, x[c] ?? 0))))))));
  }
  return h("div", {}, heading, entries.map(([k, x]) => statsBlock(k, x, level + 1)));
}

function showExport(focus) {
  defaultRange("export");
  show($("export-message"), "");
  if (focus) $("export-title").focus();
}

async function exportCsv() {
  const chosen = range("export");
  if (chosen.error) return show($("export-message"), chosen.error, "problem");
  let answer;
  try {
    answer = await api(`export?${chosen.query}`, { raw: true });
  } catch (error) {
    if (error.status !== 401) show($("export-message"), problemWords(error), "problem");
    return;
  }
  const blob = await answer.blob();
  const name = `leads-${chosen.from}-${chosen.to}.csv`;
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  show($("export-message"), `Downloaded ${name}.`, "done");
}

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

async function main() {
  const asked = new URLSearchParams(location.search).get("idle_seconds");
  try {
    const answer = await fetch(asked ? `config?idle_seconds=${encodeURIComponent(asked)}` : "config", { cache: "no-store" });
    state.config = await answer.json();
  } catch {
    showView("signin");
    return show($("signin-message"), "The inbox could not load its settings. Reload the page to try again.", "problem");
  }
  wireSignIn();
  watchIdle();
  $("sign-out").addEventListener("click", () => signOut());
  $("more").addEventListener("click", () => more().catch(() => {}));
  $("language-filter").addEventListener("change", (event) => {
    state.language = event.target.value;
    route(false).catch(() => {});
  });
  $("stats-form").addEventListener("submit", (event) => { event.preventDefault(); loadStats(); });
  $("export-form").addEventListener("submit", (event) => { event.preventDefault(); exportCsv(); });
  $("skip").addEventListener("click", (event) => { event.preventDefault(); $("main").focus(); });
  window.addEventListener("hashchange", () => route());
  document.addEventListener("visibilitychange", () => { if (!document.hidden && state.tokens) poll(); });

  const kept = JSON.parse(sessionStorage.getItem(STORE) || "null");
  if (kept && kept.id && Date.now() - (kept.active || 0) < idleMs()) {
    state.tokens = { id: kept.id, access: kept.access, refresh: kept.refresh, exp: kept.exp };
    state.active = kept.active;
    return start();
  }
  showView("signin");
  if (kept) return signOut(`You were signed out after ${idleWords()} without activity. Sign in again to carry on.`);
  restart();
  if (parseHash().view === "lead") show($("signin-message"), "Sign in to open the lead from your notice.", "");
}

main();
