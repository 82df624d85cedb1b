// The organizer's event screen: create an event or edit its details, schedule and interest vocabulary.
import { api } from "../api.js";
import { announce, announceError, h, messageBox, newId } from "../dom.js";
import { clearFieldErrors, field, showApiFieldError, showFieldError } from "../fields.js";
import { label, labelAttribute } from "../i18n.js";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** An instant from the API as the "YYYY-MM-DDTHH:MM" wall time of `timeZone`, for datetime-local. */
function wallTime(iso, timeZone) {
  try {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(iso));
    const part = (type) => parts.find((p) => p.type === type).value;
    return `${part("year")}-${part("month")}-${part("day")}T${part("hour")}:${part("minute")}`;
  } catch {
    return iso.slice(0, 16);
  }
}

/** datetime-local gives "YYYY-MM-DDTHH:MM"; the API wants seconds and no offset (event time). */
function apiWallTime(value) {
  return value.length === 16 ? `${value}:00` : value;
}

/** A checkbox with its label beside it and its help below, described by the help. */
function checkboxField(control, labelKey, helpKey) {
  control.id = control.id || newId("check");
  const helpId = `${control.id}-help`;
  control.setAttribute("aria-describedby", helpId);
  return h(
    "div",
    { class: "choice-described" },
    h("label", { class: "choice" }, control, h("span", { t: labelKey })),
    h("p", { class: "help", id: helpId, t: helpKey }),
  );
}

/**
 * Repeatable fieldsets (sessions or interests) numbered 1..n. Each control carries the API's
 * field path (e.g. "sessions[0].ends_at") so a server error lands next to it.
 */
function rowList({ listName, legendKey, removeKey, fields, build }) {
  const rows = [];
  const list = h("ol", { class: "rows" });

  function renumber() {
    rows.forEach((row, index) => {
      label(row.legend, legendKey, { n: index + 1 });
      labelAttribute(row.remove, "aria-label", removeKey, { n: index + 1 });
      for (const [name, control] of Object.entries(row.controls)) {
        control.dataset.field = `${listName}[${index}].${name}`;
      }
    });
  }

  function add(values = {}) {
    const row = {
      id: values.id ?? null,
      key: values.key ?? null,
      legend: h("legend"),
      controls: build(values),
    };
    row.remove = h("button", { type: "button", class: "secondary small", t: "event.remove" });
    row.remove.addEventListener("click", () => {
      const index = rows.indexOf(row);
      rows.splice(index, 1);
      row.el.remove();
      renumber();
      announce("event.row_removed");
      (rows[index] ?? rows[index - 1])?.remove.focus();
    });
    row.el = h(
      "li",
      {},
      h(
        "fieldset",
        { class: "row-fieldset" },
        row.legend,
        Object.entries(row.controls).map(([name, control]) =>
          control.type === "checkbox"
            ? checkboxField(control, fields[name][0], fields[name][1])
            : field(name, fields[name][0], control, { help: fields[name][1] }),
        ),
        h("div", { class: "row-actions" }, row.remove),
      ),
    );
    rows.push(row);
    list.append(row.el);
    renumber();
    return row;
  }

  function clear() {
    rows.splice(0).forEach((row) => row.el.remove());
  }

  return { list, rows, add, clear };
}

export async function render(container, { params, navigate }) {
  const [slug] = params;
  let event = slug ? await api("GET", `/api/events/${slug}`) : null;
  const isNew = !event;

  if (event && !event.roles.includes("organizer")) {
    container.append(h("h1", { tabindex: "-1", text: event.name }), h("p", { t: "event.not_organizer" }));
    return null;
  }

  const message = messageBox();
  const tzListId = newId("timezones");
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const inputs = {
    slug: h("input", {
      type: "text",
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      maxlength: "64",
      required: true,
    }),
    name: h("input", { type: "text", maxlength: "200", required: true, value: event?.name ?? "" }),
    starts_on: h("input", { type: "date", required: true, value: event?.starts_on ?? "" }),
    ends_on: h("input", { type: "date", required: true, value: event?.ends_on ?? "" }),
    timezone: h("input", {
      type: "text",
      list: tzListId,
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      maxlength: "64",
      required: true,
      value: event?.timezone ?? browserTimeZone(),
    }),
  };
  const languageBoxes = Object.fromEntries(
    ["es", "en"].map((lang) => [
      lang,
      h("input", {
        type: "checkbox",
        name: "languages",
        value: lang,
        id: newId(`language-${lang}`),
        checked: event ? event.languages.includes(lang) : true,
      }),
    ]),
  );
  languageBoxes.es.dataset.field = "languages";

  const sessions = rowList({
    listName: "sessions",
    legendKey: "event.session_n",
    removeKey: "event.remove_session",
    fields: {
      title: ["event.session_title"],
      room: ["event.session_room"],
      starts_at: ["event.session_starts"],
      ends_at: ["event.session_ends"],
      restricted: ["event.session_restricted", "event.session_restricted_help"],
    },
    build: (values) => ({
      title: h("input", { type: "text", maxlength: "200", value: values.title ?? "" }),
      room: h("input", { type: "text", maxlength: "100", value: values.room ?? "" }),
      starts_at: h("input", { type: "datetime-local", value: values.starts_at ?? "" }),
      ends_at: h("input", { type: "datetime-local", value: values.ends_at ?? "" }),
      restricted: h("input", { type: "checkbox", checked: Boolean(values.restricted) }),
    }),
  });
  const interests = rowList({
    listName: "interests",
    legendKey: "event.interest_n",
    removeKey: "event.remove_interest",
    fields: {
      label_en: ["event.interest_en"],
      label_es: ["event.interest_es"],
      aliases: ["event.interest_aliases", "event.interest_aliases_help"],
    },
    build: (values) => ({
      label_en: h("input", { type: "text", lang: "en", maxlength: "120", value: values.label_en ?? "" }),
      label_es: h("input", { type: "text", lang: "es", maxlength: "120", value: values.label_es ?? "" }),
      aliases: h("input", { type: "text", value: (values.aliases ?? []).join(", ") }),
    }),
  });

  function fillRows(data) {
    sessions.clear();
    interests.clear();
    for (const s of data?.sessions ?? []) {
      sessions.add({
        id: s.id,
        title: s.title,
        room: s.room,
        starts_at: wallTime(s.starts_at, data.timezone),
        ends_at: wallTime(s.ends_at, data.timezone),
        restricted: s.restricted,
      });
    }
    for (const interest of data?.interests ?? []) interests.add(interest);
  }
  fillRows(event);

  const count = h("p", { class: "lead" });
  function drawCount() {
    label(count, "event.attendee_count", { count: event.attendee_count });
  }

  function addRowButton(list, key) {
    return h("button", {
      type: "button",
      class: "secondary",
      t: key,
      on: {
        click: () => {
          const row = list.add();
          Object.values(row.controls)[0].focus();
        },
      },
    });
  }

  const submit = h("button", { type: "submit", class: "primary", t: isNew ? "event.create" : "event.save" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    h(
      "section",
      { class: "stack" },
      h("h2", { t: "event.details" }),
      isNew ? field("slug", "event.slug", inputs.slug, { help: "event.slug_help" }) : null,
      field("name", "event.name", inputs.name),
      h(
        "div",
        { class: "pair" },
        field("starts_on", "event.starts_on", inputs.starts_on),
        field("ends_on", "event.ends_on", inputs.ends_on),
      ),
      field("timezone", "event.timezone", inputs.timezone, { help: "event.timezone_help" }),
      h("datalist", { id: tzListId }, zones.map((value) => h("option", { value }))),
      h(
        "fieldset",
        { class: "choice-group" },
        h("legend", { t: "event.languages" }),
        h("label", { class: "choice" }, languageBoxes.es, h("span", { t: "language.es" })),
        h("label", { class: "choice" }, languageBoxes.en, h("span", { t: "language.en" })),
      ),
    ),
    h(
      "section",
      { class: "stack" },
      h("h2", { t: "event.sessions" }),
      h("p", { class: "muted", t: "event.sessions_help" }),
      sessions.list,
      h("div", {}, addRowButton(sessions, "event.add_session")),
    ),
    h(
      "section",
      { class: "stack" },
      h("h2", { t: "event.interests" }),
      h("p", { class: "muted", t: "event.interests_help" }),
      interests.list,
      h("div", {}, addRowButton(interests, "event.add_interest")),
    ),
    h("div", { class: "actions sticky-actions" }, submit, message.el),
  );

  function collect() {
    const problems = [];
    const need = (control, ok, key, vars) => {
      if (!ok) problems.push([control, key, vars]);
    };
    const values = {
      name: inputs.name.value.trim(),
      starts_on: inputs.starts_on.value,
      ends_on: inputs.ends_on.value,
      timezone: inputs.timezone.value.trim(),
      languages: ["es", "en"].filter((lang) => languageBoxes[lang].checked),
      sessions: [],
      interests: [],
    };
    if (isNew) {
      values.slug = inputs.slug.value.trim();
      need(inputs.slug, SLUG.test(values.slug), "event.slug_invalid");
    }
    need(inputs.name, values.name, "form.required");
    need(inputs.starts_on, values.starts_on, "form.required");
    need(inputs.ends_on, values.ends_on, "form.required");
    if (values.starts_on && values.ends_on) {
      need(inputs.ends_on, values.ends_on >= values.starts_on, "error.invalid_dates");
    }
    need(inputs.timezone, values.timezone, "form.required");
    need(languageBoxes.es, values.languages.length, "event.languages_required");
    for (const row of sessions.rows) {
      const c = row.controls;
      const session = {
        title: c.title.value.trim(),
        room: c.room.value.trim(),
        starts_at: c.starts_at.value,
        ends_at: c.ends_at.value,
        restricted: c.restricted.checked,
      };
      if (!session.title && !session.room && !session.starts_at && !session.ends_at) continue;
      need(c.title, session.title, "form.required");
      need(c.starts_at, session.starts_at, "form.required");
      need(c.ends_at, session.ends_at, "form.required");
      if (session.starts_at && session.ends_at) {
        need(c.ends_at, session.ends_at > session.starts_at, "error.invalid_session_times");
      }
      session.starts_at = apiWallTime(session.starts_at);
      session.ends_at = apiWallTime(session.ends_at);
      if (row.id !== null) session.id = row.id;
      values.sessions.push(session);
    }
    for (const row of interests.rows) {
      const c = row.controls;
      const interest = {
        label_en: c.label_en.value.trim(),
        label_es: c.label_es.value.trim(),
        aliases: c.aliases.value.split(",").map((a) => a.trim()).filter(Boolean),
      };
      if (!interest.label_en && !interest.label_es && !interest.aliases.length) continue;
      need(c.label_en, interest.label_en, "form.required");
      need(c.label_es, interest.label_es, "form.required");
      if (row.key) interest.key = row.key; // keeps the key stable when a label is reworded
      values.interests.push(interest);
    }
    return { values, problems };
  }

  form.addEventListener("submit", async (submitEvent) => {
    submitEvent.preventDefault();
    clearFieldErrors(form);
    message.clear();
    const { values, problems } = collect();
    if (problems.length) {
      for (const [control, key, vars] of problems) showFieldError(control, key, vars);
      announce("form.fix_errors", { count: problems.length });
      problems[0][0].focus();
      return;
    }
    submit.disabled = true;
    try {
      if (isNew) {
        const created = await api("POST", "/api/events", values);
        navigate(`/organize/${created.slug}/edit`);
        announce("event.created", { name: created.name });
        return;
      }
      event = await api("PATCH", `/api/events/${event.slug}`, values);
      fillRows(event);
      drawCount();
      heading.textContent = event.name;
      message.show("event.saved", {}, "success");
    } catch (error) {
      if (error.code === "session_has_checkins") {
        message.show("error.session_has_checkins", { title: error.body.title ?? "" });
      } else if (showApiFieldError(form, error)) announceError(error);
      else message.error(error);
    } finally {
      submit.disabled = false;
    }
  });

  const heading = isNew
    ? h("h1", { tabindex: "-1", t: "event.new_title" })
    : h("h1", { tabindex: "-1", text: event.name });
  container.append(heading);
  if (!isNew) {
    drawCount();
    container.append(
      h("p", { class: "muted", t: ["event.address", { slug: event.slug }] }),
      count,
      h(
        "div",
        { class: "card-actions" },
        h("a", { class: "button", href: `/organize/${event.slug}`, t: "dashboard.link" }),
        h("a", { class: "button", href: `/organize/${event.slug}/import`, t: "event.import_link" }),
        h("a", { class: "button", href: `/organize/${event.slug}/staff`, t: "event.staff_link" }),
      ),
    );
  }
  container.append(form);
  return null;
}
