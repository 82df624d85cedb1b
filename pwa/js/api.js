// HTTP to the Enlace API: JSON bodies, the CSRF header, error bodies as ApiError, offline detection.

export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.detail || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || (status === 0 ? "offline" : "unknown");
    this.detail = body.detail || "";
    this.field = body.field || null;
    this.report = body.report || null;
    this.body = body; // the error's other details, e.g. which session a refusal is about
  }
}

const UNSAFE = new Set(["POST", "PATCH", "PUT", "DELETE"]);

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** The server sets the CSRF cookie on any GET; make sure we have it before a write. */
async function ensureCsrf() {
  if (csrfToken()) return csrfToken();
  try {
    await fetch("/health", { credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, { code: "offline" });
  }
  return csrfToken();
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

async function send(path, init) {
  try {
    return await fetch(path, { credentials: "same-origin", ...init });
  } catch {
    throw new ApiError(0, { code: "offline" });
  }
}

/** Call the API; answers the decoded JSON body or throws ApiError. */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (UNSAFE.has(method)) headers["x-csrftoken"] = await ensureCsrf();
  const response = await send(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * GET a list the page keeps on the phone itself, with when it was saved (my connections, my
 * follow-ups): from the network only, never the service worker's copy, so that offline the page
 * knows it is showing its own saved list and says so.
 */
export async function getKept(path) {
  const response = await send(path, { method: "GET", headers: { accept: "application/json" }, cache: "no-store" });
  const data = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * GET `path` unless what the page holds (`etag`) is still current: answers {changed: false} on
 * 304, else {changed: true, data, etag}. The validator is sent by hand with the HTTP cache out of
 * the way ("no-store"), or the browser could turn the server's 304 into a 200 of its own copy.
 */
export async function getIfChanged(path, etag) {
  const headers = { accept: "application/json" };
  if (etag) headers["if-none-match"] = etag;
  const response = await send(path, { method: "GET", headers, cache: "no-store" });
  if (response.status === 304) return { changed: false };
  const data = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return { changed: true, data, etag: response.headers.get("etag") };
}

/** POST a FormData with upload progress (fetch cannot report it); answers the JSON body. */
export async function upload(path, formData, onProgress) {
  const token = await ensureCsrf();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("x-csrftoken", token);
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded, event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, { code: "offline" }));
    xhr.onload = () => {
      let data = {};
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      } catch {
        data = { detail: xhr.responseText.slice(0, 200) };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.send(formData);
  });
}
