// HTTP to the Enlace API: JSON bodies, the CSRF header, error bodies as ApiError, offline detection.

export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.detail || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || (status === 0 ? "offline" : "unknown");
    this.detail = body.detail || "";
    this.field = body.field || null;
    this.report = body.report || null;
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

/** Call the API; answers the decoded JSON body or throws ApiError. */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (UNSAFE.has(method)) headers["x-csrftoken"] = await ensureCsrf();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: "offline" });
  }
  const data = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
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
