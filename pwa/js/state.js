// The only shared state: who is signed in, the chosen language, the catalogs and connectivity.
export const state = {
  /** GET /api/me answer, or null when signed out. */
  me: null,
  /** "es" or "en". */
  language: "es",
  /** { es: {...}, en: {...} } loaded from /i18n/. */
  catalogs: {},
  online: navigator.onLine,
};
