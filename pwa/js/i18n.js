// Language catalogs: loading them, choosing the language, t(), and relabelling the page on a switch.
import { state } from "./state.js";

export const LANGUAGES = ["es", "en"];
const SAVED_KEY = "enlace.language";

export async function loadCatalogs() {
  const entries = await Promise.all(
    LANGUAGES.map(async (lang) => {
      const response = await fetch(`/i18n/${lang}.json`, { credentials: "same-origin" });
      return [lang, await response.json()];
    }),
  );
  state.catalogs = Object.fromEntries(entries);
}

/**
 * The text for `key` in the current language, with {name} placeholders filled from `vars`.
 * A variable given as { t: "other.key" } is itself translated, so it follows a language switch.
 */
export function t(key, vars = {}) {
  const text = state.catalogs[state.language]?.[key] ?? state.catalogs.en?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => {
    if (!(name in vars)) return match;
    const value = vars[name];
    return String(value !== null && typeof value === "object" && value.t ? t(value.t) : value);
  });
}

export function has(key) {
  return key in (state.catalogs[state.language] ?? {});
}

export function savedLanguage() {
  try {
    const value = localStorage.getItem(SAVED_KEY);
    return LANGUAGES.includes(value) ? value : null;
  } catch {
    return null;
  }
}

export function saveLanguage(lang) {
  try {
    localStorage.setItem(SAVED_KEY, lang);
  } catch {
    // Private modes may refuse storage; the choice then lasts for this page only.
  }
}

/** Saved choice, then the account's language, then the browser's, then Spanish. */
export function pickLanguage(accountLanguage) {
  const browser = (navigator.language || "").slice(0, 2).toLowerCase();
  return [savedLanguage(), accountLanguage, browser].find((l) => LANGUAGES.includes(l)) ?? "es";
}

/** Switch the page to `lang`: <html lang>, every marked text and attribute. */
export function applyLanguage(lang) {
  state.language = LANGUAGES.includes(lang) ? lang : "es";
  document.documentElement.lang = state.language;
  relabel(document);
}

/** Mark `el` as showing catalog text `key`, so a language switch rewrites it. */
export function label(el, key, vars = {}) {
  el.dataset.i18n = key;
  if (Object.keys(vars).length) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = t(key, vars);
  return el;
}

/** Mark attribute `name` of `el` as catalog text. */
export function labelAttribute(el, name, key, vars = {}) {
  const marks = JSON.parse(el.dataset.i18nAttrs || "{}");
  marks[name] = [key, vars];
  el.dataset.i18nAttrs = JSON.stringify(marks);
  el.setAttribute(name, t(key, vars));
  return el;
}

export function relabel(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, JSON.parse(el.dataset.i18nVars || "{}"));
  }
  for (const el of root.querySelectorAll("[data-i18n-attrs]")) {
    for (const [name, [key, vars]] of Object.entries(JSON.parse(el.dataset.i18nAttrs))) {
      el.setAttribute(name, t(key, vars));
    }
  }
}

/**
 * The catalog key saying why a write or a badge was refused: a badge's outcome (one vocabulary
 * for the card view and the outbox, see "outcome." in the catalogs) or another sync reason.
 */
export function reasonKey(code) {
  return has(`outcome.${code}.reason`) ? `outcome.${code}.reason` : `sync.reason.${code}`;
}

/** Catalog key and variables describing an API error, for label(). */
export function errorMessage(error) {
  const code = error?.code ?? "unknown";
  // The error's own figures too (a file's size and the limit, say), for the catalog's words.
  const vars = { ...(error?.body ?? {}), detail: error?.detail ?? "" };
  if (code === "invalid_input" && error?.field) {
    // msgspec's messages are technical English; a hint for the field says what to type instead.
    const leaf = String(error.field).replace(/\[\d+\]/g, "").split(".").pop();
    if (has(`hint.${leaf}`)) return [`hint.${leaf}`, vars];
  }
  if (has(`error.${code}`)) return [`error.${code}`, vars];
  if (has(`outcome.${code}.reason`)) return [`outcome.${code}.reason`, vars];
  if (error?.detail) return ["error.with_detail", vars];
  return ["error.unknown", vars];
}

export function formatDateRange(startIso, endIso) {
  const [a, b] = [startIso, endIso].map((iso) => {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d);
  });
  const format = new Intl.DateTimeFormat(state.language, { dateStyle: "medium" });
  return startIso === endIso ? format.format(a) : format.formatRange(a, b);
}
