// The camera QR reader: rear camera into a <video>, decoding (BarcodeDetector or jsQR), torch, pause when hidden.

const SCAN_INTERVAL_MS = 110; // ~9 frames a second: answers at once, spares a phone's battery
const MAX_DECODE_SIDE = 800; // jsQR reads a scaled-down frame; a badge QR keeps several pixels per module
const CAMERA = {
  audio: false,
  video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
};

let jsQRLoaded = null;

/** jsQR from /vendor/jsQR.js (a classic script that sets window.jsQR; the CSP allows only our own files). */
function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  jsQRLoaded ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/vendor/jsQR.js";
    script.async = true;
    script.addEventListener("load", () => (window.jsQR ? resolve(window.jsQR) : reject(new Error("no jsQR"))));
    script.addEventListener("error", () => {
      jsQRLoaded = null; // offline before the shell was cached: a later start tries again
      script.remove();
      reject(new Error("jsQR did not load"));
    });
    document.head.append(script);
  });
  return jsQRLoaded;
}

/** A function answering the text of a QR code in the video's current frame, or null. */
async function createDecoder() {
  // Native where the browser has it (Chrome on Android, Safari on macOS); jsQR elsewhere (iOS, Firefox, Linux).
  if ("BarcodeDetector" in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => (await detector.detect(video))[0]?.rawValue ?? null;
      }
    } catch {
      // A detector that cannot start: fall back to jsQR.
    }
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const { videoWidth, videoHeight } = video;
    if (!videoWidth || !videoHeight) return null;
    const scale = Math.min(1, MAX_DECODE_SIDE / Math.max(videoWidth, videoHeight));
    const width = Math.round(videoWidth * scale);
    const height = Math.round(videoHeight * scale);
    if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    // Badges are dark on light; also trying the inverted image would halve the frame rate.
    return jsQR(image.data, width, height, { inversionAttempts: "dontInvert" })?.data ?? null;
  };
}

async function cameraPermission() {
  try {
    return (await navigator.permissions.query({ name: "camera" })).state;
  } catch {
    return "prompt"; // no Permissions API, or it does not know "camera" (older Firefox)
  }
}

/** Why the camera did not start, from getUserMedia's error name. */
function problemOf(error) {
  if (["NotAllowedError", "SecurityError", "PermissionDeniedError"].includes(error?.name)) return "denied";
  if (["NotFoundError", "OverconstrainedError", "DevicesNotFoundError"].includes(error?.name)) return "no_camera";
  return "failed"; // NotReadableError (in use by another app), AbortError, a decoder that did not load
}

function hasTorch(track) {
  const torch = track.getCapabilities?.().torch;
  return Array.isArray(torch) ? torch.includes(true) : torch === true;
}

/**
 * Reads QR codes through `video`. onState(name, { torch }) hears "asking", "starting", "running",
 * "denied", "no_camera", "unsupported" or "failed"; onText(text) hears every decoded frame.
 * The camera is released while the page is hidden and taken again when it is shown.
 */
export function createScanner(video, { onState, onText }) {
  let wanted = false;
  let attempt = 0; // bumped by every open and close, so a late answer of an older open is dropped
  let stream = null;
  let timer = 0;
  let decoder = null;

  video.muted = true; // with playsinline, iOS plays it inline without a tap
  video.playsInline = true;

  function close() {
    attempt += 1;
    clearTimeout(timer);
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    video.srcObject = null;
  }

  async function tick(current, decode) {
    if (current !== attempt) return;
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
      try {
        const text = await decode(video);
        if (text && current === attempt) onText(text);
      } catch {
        // One unreadable frame (resizing, a detector hiccup): the next one may do.
      }
    }
    // Scheduled after decoding ends, so a slow phone lowers the rate instead of queueing frames.
    if (current === attempt) timer = setTimeout(() => tick(current, decode), SCAN_INTERVAL_MS);
  }

  async function open() {
    close();
    const current = attempt;
    if (!navigator.mediaDevices?.getUserMedia) {
      onState("unsupported", {}); // e.g. a page not served over HTTPS
      return;
    }
    const permission = await cameraPermission();
    if (current !== attempt) return; // stopped meanwhile: never prompt for a page that was left
    onState(permission === "granted" ? "starting" : "asking", {});
    decoder ??= createDecoder().catch((error) => {
      decoder = null;
      throw error;
    });
    decoder.catch(() => {}); // awaited below only when the camera opens; never an unhandled rejection
    let media;
    let decode;
    try {
      media = await navigator.mediaDevices.getUserMedia(CAMERA);
      decode = await decoder;
    } catch (error) {
      for (const track of media?.getTracks() ?? []) track.stop();
      if (current === attempt) onState(problemOf(error), {});
      return;
    }
    if (current !== attempt) {
      for (const track of media.getTracks()) track.stop(); // closed while the person was deciding
      return;
    }
    stream = media;
    const [track] = media.getVideoTracks();
    track.addEventListener("ended", () => {
      // Unplugged, or taken by another app (a call): say so instead of showing a frozen frame.
      if (current !== attempt) return;
      close();
      onState("failed", {});
    });
    video.srcObject = media;
    video.play().catch(() => {}); // autoplay of a muted inline stream; a refusal still leaves frames to read
    onState("running", { torch: hasTorch(track) });
    tick(current, decode);
  }

  function onVisibility() {
    if (!wanted) return;
    if (document.visibilityState === "hidden") close();
    else open();
  }

  return {
    /** Open the camera and read until stop() (again after a refusal, when the person asks). */
    start() {
      if (!wanted) document.addEventListener("visibilitychange", onVisibility);
      wanted = true;
      if (document.visibilityState !== "hidden") open();
    },
    /** Release the camera; nothing more is heard. */
    stop() {
      wanted = false;
      document.removeEventListener("visibilitychange", onVisibility);
      close();
    },
    /** Switch the torch; answers whether it is now on. */
    async setTorch(on) {
      const track = stream?.getVideoTracks()[0];
      if (!track) return false;
      try {
        await track.applyConstraints({ advanced: [{ torch: on }] });
        return on;
      } catch {
        return false;
      }
    },
  };
}
