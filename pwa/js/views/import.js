// The organizer's attendee import: check a CSV/XLSX file (dry run), read the report, then import.
import { api, upload } from "../api.js";
import { announce, h, messageBox, newId } from "../dom.js";
import { clearFieldErrors, field, showFieldError } from "../fields.js";
import { errorMessage, has, label, t } from "../i18n.js";
import { state } from "../state.js";

const ENCODINGS = [
  ["", "import.encoding_auto"],
  ["utf-8", "import.encoding_utf8"],
  ["cp1252", "import.encoding_cp1252"],
  ["latin-1", "import.encoding_latin1"],
];
const DELIMITERS = [
  ["", "import.delimiter_auto"],
  [",", "import.delimiter_comma"],
  [";", "import.delimiter_semicolon"],
  ["\t", "import.delimiter_tab"],
];
const PREVIEW_COLUMNS = ["email", "name", "organization", "role", "interests"];
// What a column can hold (api/imports/parse.py FIELDS); "" leaves it out.
const IMPORT_FIELDS = [
  "email",
  "name",
  "first_name",
  "last_name",
  "organization",
  "role",
  "phone",
  "language",
  "ticket_type",
  "ticket_ref",
  "interests",
  "looking_for",
  "can_help_with",
  "links",
  "bio",
];

/**
 * "Which column is which": a choice per column of the file, starting from how it was read. A field
 * chosen for one column is taken from any other (each field comes from one column). `onChange`
 * after any choice; `mapping()` is what the API's `mapping` takes.
 */
function columnChooser(columns, onChange) {
  const firstOf = new Map();
  columns.forEach((column, index) => firstOf.has(column.header) || firstOf.set(column.header, index));
  const selects = columns.map((column, index) => {
    const repeated = firstOf.get(column.header) !== index;
    const choice = h(
      "select",
      // A header the file repeats is chosen by name, which names its first column only.
      { disabled: repeated, "data-repeated": repeated ? "true" : undefined },
      h("option", { value: "", t: "import.not_imported" }),
      IMPORT_FIELDS.map((name) => h("option", { value: name, t: `importfield.${name}` })),
    );
    choice.value = column.field ?? "";
    return choice;
  });
  for (const choice of selects) {
    choice.addEventListener("change", () => {
      selects.forEach((other, index) => {
        if (!choice.value || other === choice || other.value !== choice.value) return;
        // Each field comes from one column: the other one lets it go, and says so.
        other.value = "";
        const moved = ["import.column_moved", { header: columns[index].header, field: t(`importfield.${choice.value}`) }];
        announce(...moved);
        showFieldError(other, ...moved);
      });
      onChange();
    });
  }
  const el = h(
    "fieldset",
    { class: "stack column-chooser" },
    h("legend", { t: "import.mapping_title" }),
    h("p", { class: "muted", t: "import.mapping_help" }),
    columns.map((column, index) =>
      field(`column-${index}`, "import.column_named", selects[index], {
        labelVars: { header: column.header },
        help: selects[index].dataset.repeated ? "import.column_repeated" : undefined,
      }),
    ),
  );
  return {
    el,
    // Only the choices that differ from how the file was read (and never a repeated header's).
    mapping: () =>
      Object.fromEntries(
        columns
          .map((column, index) => [column.header, selects[index].value, (column.field ?? "") !== selects[index].value && !selects[index].disabled])
          .filter(([, , changed]) => changed)
          .map(([header, value]) => [header, value]),
      ),
    focus: () => (selects.find((choice) => !choice.value) ?? selects[0])?.focus(),
  };
}
// Whole-file problems that the encoding choice can fix.
const ENCODING_PROBLEMS = new Set(["unreadable_encoding", "unknown_encoding"]);

function select(options) {
  return h("select", {}, options.map(([value, key]) => h("option", { value, t: key })));
}

/** A table inside a focusable, labelled scroll region so it never widens the page. */
function table(captionKey, captionVars, headKeys, rows) {
  const captionId = newId("caption");
  return h(
    "div",
    { class: "table-scroll", role: "region", tabindex: "0", "aria-labelledby": captionId },
    h(
      "table",
      {},
      h("caption", { id: captionId, t: [captionKey, captionVars] }),
      h("thead", {}, h("tr", {}, headKeys.map((key) => h("th", { scope: "col", t: key })))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
    ),
  );
}

/** A row problem in words: the catalog text for its code, else the server's own detail. */
function problemText(problem) {
  const key = `importcode.${problem.code}`;
  return has(key) ? h("span", { t: key }) : h("span", { lang: "en", text: problem.detail });
}

function fieldName(name) {
  if (!name) return h("span", { class: "muted", t: "import.ignored" });
  return has(`importfield.${name}`) ? h("span", { t: `importfield.${name}` }) : h("code", { text: name });
}

/** A preview cell; a list shows each item as it was split, so a wrong separator shows. */
function previewValue(value) {
  if (!Array.isArray(value)) return value ?? "";
  return h("ul", { class: "preview-items" }, value.map((item) => h("li", { dir: "auto", text: item })));
}

function delimiterName(delimiter) {
  const known = DELIMITERS.find(([value]) => value && value === delimiter);
  return known ? h("span", { t: known[1] }) : h("code", { text: JSON.stringify(delimiter) });
}

function drawReport(target, report) {
  const counts = [
    ["import.total_rows", report.total_rows],
    [report.dry_run ? "import.would_create" : "import.did_create", report.created],
    [report.dry_run ? "import.would_update" : "import.did_update", report.updated],
    ["import.unchanged", report.unchanged],
    ["import.invalid_rows", report.invalid_rows],
  ];
  const detected = [
    h("dt", { t: "import.format" }),
    h("dd", { text: report.format.toUpperCase() }),
  ];
  if (report.encoding) detected.push(h("dt", { t: "import.encoding_label" }), h("dd", { text: report.encoding }));
  if (report.delimiter) detected.push(h("dt", { t: "import.delimiter_label" }), h("dd", {}, delimiterName(report.delimiter)));

  const parts = [
    h("h2", { tabindex: "-1", t: report.dry_run ? "import.report_title" : "import.result_title" }),
    h("p", { class: "lead", t: report.dry_run ? "import.dry_run_note" : "import.applied_note" }),
    h("dl", { class: "facts" }, detected),
    report.encoding_detected
      ? h("p", { class: "message", role: "note", t: ["import.encoding_detected", { encoding: report.encoding }] })
      : null,
    h(
      "dl",
      { class: "counts" },
      counts.map(([key, value]) =>
        h("div", { class: value && key === "import.invalid_rows" ? "count count-bad" : "count" }, h("dt", { t: key }), h("dd", { text: value })),
      ),
    ),
    table(
      "import.columns_caption",
      {},
      ["import.column_header", "import.column_field"],
      report.columns.map((column) => [column.header, fieldName(column.field)]),
    ),
  ];
  if (report.errors.length) {
    parts.push(
      h("h3", { t: ["import.errors_title", { count: report.invalid_rows }] }),
      table(
        "import.errors_caption",
        {},
        ["import.row", "import.column", "import.problem"],
        report.errors.map((e) => [String(e.row), e.column ?? "", problemText(e)]),
      ),
    );
  }
  if (report.warnings.length) {
    parts.push(
      h("h3", { t: ["import.warnings_title", { count: report.warnings_total }] }),
      table(
        "import.warnings_caption",
        {},
        ["import.row", "import.column", "import.problem"],
        report.warnings.map((w) => [String(w.row), w.column ?? "", problemText(w)]),
      ),
    );
    if (report.warnings_total > report.warnings.length) {
      parts.push(h("p", { class: "muted", t: ["import.more_warnings", { shown: report.warnings.length }] }));
    }
  }
  if (report.preview.length) {
    parts.push(
      h("h3", { t: "import.preview_title" }),
      table(
        "import.preview_caption",
        { count: report.preview.length },
        ["import.row", ...PREVIEW_COLUMNS.map((name) => `importfield.${name}`)],
        report.preview.map((person) => [String(person.row ?? ""), ...PREVIEW_COLUMNS.map((name) => previewValue(person[name]))]),
      ),
    );
  }
  target.replaceChildren(...parts.filter(Boolean));
  target.hidden = false;
}

export async function render(container, { params }) {
  const [slug] = params;
  let event = await api("GET", `/api/events/${slug}`);
  const checkMessage = messageBox();
  const importMessage = messageBox();

  const fileInput = h("input", {
    type: "file",
    name: "file",
    accept: ".csv,.xlsx,.txt,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    required: true,
  });
  const encoding = select(ENCODINGS);
  const delimiter = select(DELIMITERS);
  const checkButton = h("button", { type: "submit", class: "primary", t: "import.check" });
  const progress = h("progress", { max: "100", value: "0" });
  const progressLabel = h("span", {});
  const progressId = newId("progress");
  progressLabel.id = progressId;
  progress.setAttribute("aria-labelledby", progressId);
  const progressBox = h("div", { class: "progress", hidden: true }, progressLabel, progress);
  const report = h("section", { class: "stack report", hidden: true, "aria-live": "off" });
  const skipInvalid = h("input", { type: "checkbox", name: "skip_invalid", disabled: true });
  const importButton = h("button", { type: "button", class: "primary", disabled: true, t: "import.import" });
  const count = h("p", { class: "lead" });
  const drawCount = () => label(count, "event.attendee_count", { count: event.attendee_count });
  drawCount();

  function invalidateCheck() {
    importButton.disabled = true;
    skipInvalid.disabled = true;
  }
  for (const control of [fileInput, encoding, delimiter]) control.addEventListener("change", invalidateCheck);
  // Which column is which: offered once a file was read, from how it was read; a new file starts over.
  const chooserBox = h("div", { hidden: true });
  let chooser = null;
  let chosen = false; // the organizer changed a choice: send them all
  let chooserHeaders = "";
  function offerColumns(columns, { open = false } = {}) {
    const headers = JSON.stringify(columns.map((column) => column.header));
    if (!chooser || headers !== chooserHeaders) {
      chooserHeaders = headers;
      chooser = columnChooser(columns, () => {
        chosen = true;
        invalidateCheck();
      });
      chosen = false;
      chooserBox.replaceChildren(h("details", { class: "chooser" }, h("summary", { t: "import.mapping_title" }), chooser.el));
    }
    chooserBox.hidden = false;
    if (open) chooserBox.querySelector("details").open = true;
  }
  // Another file, encoding or delimiter: the old report goes; the choices stay for a file with
  // the same columns (one fixed and uploaded again), and start over when it has others.
  function forgetColumns() {
    chooser = null;
    chosen = false;
    chooserHeaders = "";
    chooserBox.replaceChildren();
    chooserBox.hidden = true;
  }
  for (const control of [fileInput, encoding, delimiter]) {
    control.addEventListener("change", () => {
      report.hidden = true;
    });
  }

  async function send(dryRun) {
    const file = fileInput.files[0];
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("dry_run", dryRun ? "true" : "false");
    form.append("skip_invalid", skipInvalid.checked && !dryRun ? "true" : "false");
    if (encoding.value) form.append("encoding", encoding.value);
    if (delimiter.value) form.append("delimiter", delimiter.value);
    if (chooser && chosen) form.append("mapping", JSON.stringify(chooser.mapping()));
    label(progressLabel, "import.uploading", { percent: 0 });
    progress.value = 0;
    progressBox.hidden = false;
    try {
      return await upload(`/api/events/${slug}/imports`, form, (loaded, total) => {
        const percent = Math.round((loaded / total) * 100);
        progress.value = percent;
        label(progressLabel, percent >= 100 ? "import.processing" : "import.uploading", { percent });
      });
    } finally {
      progressBox.hidden = true;
    }
  }

  /** Whole-file problems: say what to do, next to the control that fixes it. */
  function showFileProblem(box, error) {
    const [key, vars] = errorMessage(error);
    box.show(key, vars);
    // The server's own words (English) add the specifics, on an English screen only: a Spanish
    // screen stays in Spanish (the catalog says what to do; the chooser shows the headers).
    if (error.detail && key !== "error.with_detail" && state.language === "en" && error.code !== "missing_column") {
      box.el.append(h("p", { class: "detail", lang: "en", text: error.detail }));
    }
    if (error.status === 0) return;
    if (error.code === "missing_column" && error.body?.columns?.length) {
      // Not recognized: choose it here instead of renaming the column in the file.
      offerColumns(error.body.columns, { open: true });
      chooser.focus();
      return;
    }
    const [control, hint] = ENCODING_PROBLEMS.has(error.code)
      ? [encoding, "import.choose_encoding"]
      : error.code === "bad_delimiter"
        ? [delimiter, "import.choose_delimiter"]
        : [fileInput, "import.file_problem"];
    showFieldError(control, hint);
    control.focus();
  }

  const checkForm = h(
    "form",
    { class: "stack", novalidate: true },
    h("h2", { t: "import.step_file" }),
    field("file", "import.file", fileInput, { help: "import.file_help" }),
    h(
      "div",
      { class: "pair" },
      field("encoding", "import.encoding", encoding, { help: "import.encoding_help" }),
      field("delimiter", "import.delimiter", delimiter),
    ),
    chooserBox,
    h("div", { class: "actions" }, checkButton),
    progressBox,
    checkMessage.el,
  );

  checkForm.addEventListener("submit", async (submitEvent) => {
    submitEvent.preventDefault();
    clearFieldErrors(checkForm);
    checkMessage.clear();
    importMessage.clear();
    invalidateCheck();
    if (!fileInput.files.length) {
      showFieldError(fileInput, "import.file_required");
      announce("import.file_required");
      fileInput.focus();
      return;
    }
    checkButton.disabled = true;
    try {
      let answer;
      try {
        answer = await send(true);
      } catch (error) {
        // The choices name columns this file does not have: read it afresh, without them.
        if (error.code !== "bad_mapping" || !chosen) throw error;
        forgetColumns();
        answer = await send(true);
      }
      offerColumns(answer.columns);
      drawReport(report, answer);
      importButton.disabled = answer.valid_rows === 0;
      skipInvalid.disabled = false;
      announce("import.checked", { rows: answer.total_rows, invalid: answer.invalid_rows });
      report.querySelector("h2").focus();
    } catch (error) {
      report.hidden = true;
      showFileProblem(checkMessage, error);
    } finally {
      checkButton.disabled = false;
    }
  });

  importButton.addEventListener("click", async () => {
    importMessage.clear();
    importButton.disabled = true;
    try {
      const answer = await send(false);
      drawReport(report, answer);
      event = await api("GET", `/api/events/${slug}`);
      drawCount();
      importMessage.show(
        "import.done",
        { created: answer.created, updated: answer.updated, count: event.attendee_count },
        "success",
      );
      report.querySelector("h2")?.focus(); // the button pressed is now disabled
      skipInvalid.disabled = true;
    } catch (error) {
      if (error.code === "rows_invalid" && error.report) {
        drawReport(report, error.report);
        importMessage.error(error);
        importButton.disabled = false;
        // The answer asks for this box: bring it into view, above the sticky bar.
        skipInvalid.scrollIntoView({ block: "center" });
        skipInvalid.focus();
      } else if (error.status === 0) {
        importMessage.error(error);
        importButton.disabled = false;
      } else {
        showFileProblem(importMessage, error);
      }
    }
  });

  container.append(
    h("h1", { tabindex: "-1", t: "import.title" }),
    h("p", {}, h("a", { href: `/organize/${slug}`, text: event.name })),
    h("p", { class: "message", t: "import.private_until_shared" }),
    count,
    h("p", {}, h("a", { href: `/organize/${slug}/badges`, t: "import.print_link" })),
    checkForm,
    report,
    h(
      "section",
      { class: "stack" },
      h("h2", { t: "import.step_import" }),
      h("p", { class: "muted", t: "import.import_help" }),
      importMessage.el,
      h("label", { class: "choice" }, skipInvalid, h("span", { t: "import.skip_invalid" })),
      h("div", { class: "actions sticky-actions" }, importButton),
    ),
  );
  return null;
}
