// The organizer's attendees (/organize/SLUG/attendees): search and page through everyone (10,000
// people are 200 pages of 50), and one person (/organize/SLUG/attendees/ID): their registration,
// what their card shares, how far they got; correct it, send the invitation again, reissue the
// badge, or remove someone who met nobody.
import { api } from "../api.js";
import { announce, confirmDialog, h, messageBox, newId, section } from "../dom.js";
import { field, showApiFieldError } from "../fields.js";
import { label } from "../i18n.js";
import { state } from "../state.js";

const PAGE = 50;

const number = (value) => new Intl.NumberFormat(state.language).format(value);
const when = (iso) =>
  new Intl.DateTimeFormat(state.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

export async function render(container, { params, navigate }) {
  const [slug, id] = params;
  return id ? person(container, slug, Number(id), navigate) : list(container, slug);
}

async function list(container, slug) {
  const base = `/api/events/${slug}`;
  const event = await api("GET", base);
  const url = new URL(window.location.href);
  let query = url.searchParams.get("q") ?? "";
  let offset = Math.max(0, Number.parseInt(url.searchParams.get("from") ?? "0", 10) || 0);
  let timer = null;

  const search = h("input", { type: "search", autocomplete: "off", maxlength: "200", enterkeyhint: "search", value: query });
  const status = h("p", { class: "lead", role: "status" });
  const items = h("ul", { class: "cards attendee-list" });
  const previous = h("button", { type: "button", class: "secondary", t: "attendees.previous" });
  const next = h("button", { type: "button", class: "secondary", t: "attendees.next" });
  const message = messageBox();

  async function load() {
    message.clear();
    try {
      const params = new URLSearchParams({ q: query, offset: String(offset), limit: String(PAGE) });
      const page = await api("GET", `${base}/attendees?${params}`);
      if (offset && offset >= page.total) {
        offset = Math.max(0, Math.floor((page.total - 1) / PAGE) * PAGE);
        return load();
      }
      const shown = new URLSearchParams();
      if (query) shown.set("q", query);
      if (offset) shown.set("from", String(offset));
      history.replaceState(null, "", `${window.location.pathname}${shown.size ? `?${shown}` : ""}`);
      items.replaceChildren(
        ...page.items.map((row) =>
          h(
            "li",
            { class: "card" },
            h("a", { href: `/organize/${slug}/attendees/${row.id}`, class: "attendee-name", dir: "auto", text: row.name }),
            row.organization ? h("p", { dir: "auto", text: row.organization }) : null,
            h("p", { class: "muted", text: row.email }),
          ),
        ),
      );
      const range = { from: number(page.total ? offset + 1 : 0), to: number(offset + page.items.length), total: number(page.total) };
      label(status, query ? "attendees.found" : "attendees.count", range);
      previous.disabled = offset === 0;
      next.disabled = offset + PAGE >= page.total;
    } catch (error) {
      message.error(error);
    }
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = search.value.trim();
      offset = 0;
      load();
    }, 250);
  });
  previous.addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    load().then(() => status.focus());
  });
  next.addEventListener("click", () => {
    offset += PAGE;
    load().then(() => status.focus());
  });
  status.tabIndex = -1;

  container.append(
    h("h1", { tabindex: "-1", t: "attendees.title" }),
    h("p", {}, h("a", { href: `/organize/${slug}`, text: event.name })),
    field("q", "attendees.search", search, { help: "attendees.search_help" }),
    status,
    message.el,
    items,
    h("div", { class: "actions pager" }, previous, next),
  );
  await load();
  return { leave: () => clearTimeout(timer) };
}

async function person(container, slug, id, navigate) {
  const base = `/api/events/${slug}/attendees/${id}`;
  let found = await api("GET", base);
  const message = messageBox();
  const heading = h("h1", { tabindex: "-1", dir: "auto" });
  const facts = h("dl", { class: "facts" });
  const progress = h("dl", { class: "facts" });

  const dateOr = (iso, noKey) => (iso ? when(iso) : { t: noKey });
  function draw() {
    heading.textContent = found.name;
    const rows = [
      ["field.email", found.email],
      ["field.organization", found.organization],
      ["field.role", found.role],
      ["attendees.language", found.language ? { t: `language.${found.language}` } : { t: "attendees.language_unknown" }],
      ["attendees.ticket_type", found.ticket_type],
      [
        "attendees.shares",
        found.shared_fields.length
          ? found.shared_fields.map((name) => h("span", { class: "tag", t: `field.${name}` }))
          : { t: "attendees.shares_nothing" },
      ],
    ];
    const value = (content) =>
      content && typeof content === "object" && "t" in content ? h("dd", { t: content.t }) : h("dd", { dir: "auto" }, content || "—");
    facts.replaceChildren(...rows.flatMap(([key, content]) => [h("dt", { t: key }), value(content)]));
    progress.replaceChildren(
      h("dt", { t: "attendees.invited_at" }),
      value(dateOr(found.invited_at, "attendees.not_yet")),
      h("dt", { t: "attendees.signed_in" }),
      value(dateOr(found.signed_in_at, "attendees.not_yet")),
      h("dt", { t: "attendees.card_set_up" }),
      value(dateOr(found.card_set_up_at, "attendees.not_yet")),
      h("dt", { t: "attendees.badge" }),
      value(found.badge_code ? h("code", { class: "attendee-code", translate: "no", text: found.badge_code }) : { t: "attendees.no_badge" }),
      h("dt", { t: "attendees.connections" }),
      value(number(found.connections)),
    );
  }

  // Correcting the registration
  const inputs = {
    name: h("input", { type: "text", required: true, maxlength: "200", autocomplete: "off" }),
    organization: h("input", { type: "text", maxlength: "200", autocomplete: "off" }),
    role: h("input", { type: "text", maxlength: "200", autocomplete: "off" }),
    ticket_type: h("input", { type: "text", maxlength: "120", autocomplete: "off" }),
    language: h(
      "select",
      {},
      h("option", { value: "", t: "attendees.language_unknown" }),
      h("option", { value: "es", t: "language.es" }),
      h("option", { value: "en", t: "language.en" }),
    ),
  };
  const saveButton = h("button", { type: "submit", class: "primary", t: "attendees.save" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    field("name", "field.name", inputs.name),
    field("organization", "field.organization", inputs.organization),
    field("role", "field.role", inputs.role),
    field("language", "attendees.language", inputs.language, { help: "attendees.language_help" }),
    field("ticket_type", "attendees.ticket_type", inputs.ticket_type),
    h("p", { class: "muted", t: "attendees.theirs" }),
    h("div", { class: "actions" }, saveButton),
  );
  function fill() {
    for (const [name, input] of Object.entries(inputs)) input.value = found[name] ?? "";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.clear();
    saveButton.disabled = true;
    try {
      const values = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value.trim()]));
      found = await api("PATCH", base, values);
      draw();
      fill();
      message.show("attendees.saved", {}, "success");
    } catch (error) {
      if (!showApiFieldError(form, error)) message.error(error);
    } finally {
      saveButton.disabled = false;
    }
  });

  // Actions on the person
  const reissue = confirmDialog("attendees.reissue_title", "print.reissue_explain", { name: found.name }, "attendees.reissue", "attendees.keep");
  const remove = confirmDialog("attendees.remove_title", "attendees.remove_body", { name: found.name }, "attendees.remove", "attendees.keep", { danger: true });
  const inviteButton = h("button", { type: "button", class: "secondary" });
  const reissueButton = h("button", { type: "button", class: "secondary", t: "attendees.reissue" });
  const removeButton = h("button", { type: "button", class: "danger", t: "attendees.remove" });
  const drawInvite = () => label(inviteButton, found.invited_at ? "attendees.invite_again" : "attendees.invite");
  inviteButton.addEventListener("click", async () => {
    message.clear();
    inviteButton.disabled = true;
    try {
      const sent = await api("POST", `/api/events/${slug}/invitations`, { who: "chosen", attendees: [id] });
      message.show(sent.queued ? "attendees.invited" : "attendees.invited_recently", { name: found.name }, "success");
      found = await api("GET", base);
      draw();
      drawInvite();
    } catch (error) {
      message.error(error);
    } finally {
      inviteButton.disabled = false;
    }
  });
  reissueButton.addEventListener("click", () =>
    reissue.ask(async () => {
      message.clear();
      try {
        await api("POST", `${base}/badge/reissue`);
        found = await api("GET", base);
        draw();
        message.show("attendees.reissued", { code: found.badge_code }, "success");
      } catch (error) {
        message.error(error);
      }
    }),
  );
  removeButton.addEventListener("click", () =>
    remove.ask(async () => {
      message.clear();
      try {
        await api("DELETE", base);
        announce("attendees.removed", { name: found.name });
        navigate(`/organize/${slug}/attendees`);
      } catch (error) {
        message.error(error);
      }
    }),
  );

  draw();
  fill();
  drawInvite();
  container.append(
    heading,
    h("p", {}, h("a", { href: `/organize/${slug}/attendees`, t: "attendees.back" })),
    message.el,
    section("attendees.registration", facts),
    section("attendees.progress", progress, h("div", { class: "actions" }, inviteButton, reissueButton, removeButton)),
    section("attendees.edit", form),
    reissue.dialog,
    remove.dialog,
  );
  return null;
}
