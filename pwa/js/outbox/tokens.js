// Badge tokens: the one normalization of a typed, scanned or linked code, as the server does it.

// Crockford's base32, as api/badges/tokens.py: digits and upper-case letters without I, L, O and U.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const TOKEN_LENGTH = 28;
const BADGE_PATH = /^\/b\/([0-9a-z-]+)\/?$/i;

/**
 * A typed or scanned code cleaned the way the server does it (any case, spaces, dashes, O for 0,
 * I or L for 1): { token } when it can be a badge, else { problem, vars } saying what is wrong.
 */
export function readCode(typed) {
  const candidate = String(typed)
    .trim()
    .toUpperCase()
    .replace(/[\s\-_.]+/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (!candidate) return { problem: "empty" };
  const wrong = [...new Set(candidate)].filter((char) => !ALPHABET.includes(char));
  if (wrong.length) return { problem: "character", vars: { characters: wrong.join(" ") } };
  if (candidate.length !== TOKEN_LENGTH) return { problem: "length", vars: { count: candidate.length } };
  return { token: candidate };
}

/** The token as the server normalizes it, or null when `typed` cannot be a badge. */
export function normalizeToken(typed) {
  return readCode(typed).token ?? null;
}

/** The token in what a camera read: an Enlace badge URL (any host, /B/ or /b/) or a bare code; else null. */
export function tokenFromScan(text) {
  const trimmed = text.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    let url;
    try {
      url = new URL(trimmed);
    } catch {
      return null;
    }
    const found = url.pathname.match(BADGE_PATH);
    return found ? normalizeToken(found[1]) : null;
  }
  // Any other link or text is not ours; only our own /b/ address is ever opened from a QR.
  if (trimmed.includes("/") || trimmed.length > 2 * TOKEN_LENGTH) return null;
  return normalizeToken(trimmed);
}

const POSTER_PATH = /^\/r\/([0-9a-z-]+)\/?$/i;

/** The token of a room's poster in what a camera read (its URL, any host, /R/ or /r/); else null. */
export function posterFromScan(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  const found = url.pathname.match(POSTER_PATH);
  return found ? normalizeToken(found[1]) : null;
}
