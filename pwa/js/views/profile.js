// The attendee's profile in one event: what they tell others, and what a badge scan reveals.
import { api } from "../api.js";
import { announce, announceError, h, messageBox, newId } from "../dom.js";
import { clearFieldErrors, field, showApiFieldError, showFieldError } from "../fields.js";
import { refreshDirectory } from "../outbox/directory.js";
import { state } from "../state.js";
import { termList } from "../term-list.js";

const SHAREABLE = ["role", "interests", "looking_for", "can_help_with", "email", "phone", "links", "bio"];
const LINK = /^https?:\/\/\S+$/;
const PHONE = /^[0-9+()./ -]*$/;

function vocabularyOptions(datalist, interests) {
  const other = state.language === "es" ? "en" : "es";
  const labels = [
    ...interests.map((i) => i[`label_${state.language}`]),
    ...interests.map((i) => i[`label_${other}`]),
  ];
  datalist.replaceChildren(...[...new Set(labels)].map((value) => h("option", { value })));
}

export async function render(container, { params }) {
  const [slug] = params;
  const [profile, event] = await Promise.all([
    api("GET", `/api/events/${slug}/me`),
    api("GET", `/api/events/${slug}`),
  ]);
  const message = messageBox();
  const datalistId = newId("vocabulary");
  const datalist = h("datalist", { id: datalistId });
  vocabularyOptions(datalist, event.interests);

  const inputs = {
    name: h("input", { type: "text", dir: "auto", autocomplete: "name", required: true, maxlength: "200", value: profile.name }),
    organization: h("input", {
      type: "text",
      autocomplete: "organization",
      maxlength: "200",
      value: profile.organization,
    }),
    role: h("input", {
      type: "text",
      autocomplete: "organization-title",
      maxlength: "200",
      value: profile.role,
    }),
    phone: h("input", {
      type: "tel",
      autocomplete: "tel",
      inputmode: "tel",
      maxlength: "50",
      value: profile.phone,
    }),
    links: h("textarea", { rows: "3", autocomplete: "url", value: profile.links.join("\n") }),
    bio: h("textarea", { dir: "auto", rows: "4", maxlength: "2000", value: profile.bio }),
  };
  const lists = {};
  for (const name of ["interests", "looking_for", "can_help_with"]) {
    lists[name] = termList({
      name,
      labelKey: `field.${name}`,
      helpKey: `profile.${name}_help`,
      values: profile[name],
      datalistId,
      onChange: drawPreview,
    });
  }
  const shareBoxes = Object.fromEntries(
    SHAREABLE.map((name) => [
      name,
      h("input", { type: "checkbox", name: "shared", value: name, checked: profile.shared_fields.includes(name) }),
    ]),
  );

  const offlineBox = h("input", { type: "checkbox", name: "offline_card", checked: profile.offline_card });
  const offlineHelpId = newId("offline-help");
  offlineBox.setAttribute("aria-describedby", offlineHelpId);

  const preview = h("div", { class: "badge-card" });
  const hiddenNote = h("p", { class: "muted" });

  function currentLinks() {
    return inputs.links.value.split(/\s+/).map((link) => link.trim()).filter(Boolean);
  }

  function currentValues() {
    return {
      name: inputs.name.value.trim(),
      organization: inputs.organization.value.trim(),
      role: inputs.role.value.trim(),
      phone: inputs.phone.value.trim(),
      interests: lists.interests.values(),
      looking_for: lists.looking_for.values(),
      can_help_with: lists.can_help_with.values(),
      links: currentLinks(),
      bio: inputs.bio.value.trim(),
      shared_fields: SHAREABLE.filter((name) => shareBoxes[name].checked),
      offline_card: offlineBox.checked,
    };
  }

  function drawPreview() {
    const values = { ...currentValues(), email: profile.email };
    const rows = [];
    for (const name of values.shared_fields) {
      const value = values[name];
      const text = Array.isArray(value) ? value.join(", ") : value;
      if (!text) continue;
      rows.push(h("dt", { t: `field.${name}` }), h("dd", { text }));
    }
    preview.replaceChildren(
      h("p", { class: "card-name", dir: "auto", text: values.name || "—" }),
      values.organization ? h("p", { class: "card-org", dir: "auto", text: values.organization }) : null,
      rows.length ? h("dl", {}, rows) : h("p", { class: "muted", t: "profile.preview_nothing_else" }),
    );
    const hidden = SHAREABLE.filter((name) => !values.shared_fields.includes(name));
    hiddenNote.hidden = hidden.length === 0;
    hiddenNote.replaceChildren(
      h("span", { t: "profile.preview_hidden" }),
      " ",
      ...hidden.flatMap((name, index) => [index ? ", " : "", h("span", { t: `field.${name}` })]),
    );
  }

  const save = h("button", { type: "submit", class: "primary", t: "profile.save" });
  const shareHeadingId = newId("share");
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    h("section", { class: "stack" },
      h("h2", { t: "profile.about" }),
      h("p", { class: "muted", t: ["profile.email_note", { email: profile.email }] }),
      field("name", "field.name", inputs.name),
      field("organization", "field.organization", inputs.organization),
      field("role", "field.role", inputs.role, { help: "profile.role_help" }),
      field("phone", "field.phone", inputs.phone),
      field("links", "field.links", inputs.links, { help: "profile.links_help" }),
      field("bio", "field.bio", inputs.bio),
    ),
    h("section", { class: "stack" },
      h("h2", { t: "profile.interests_title" }),
      h("p", { class: "muted", t: "profile.interests_intro" }),
      lists.interests.el,
      lists.looking_for.el,
      lists.can_help_with.el,
      datalist,
    ),
    h("section", { class: "stack", "aria-labelledby": shareHeadingId },
      h("h2", { id: shareHeadingId, t: "profile.share_title" }),
      h("p", { t: "profile.share_intro" }),
      h("fieldset", { class: "choice-group" },
        h("legend", { t: "profile.share_legend" }),
        SHAREABLE.map((name) => h("label", { class: "choice" }, shareBoxes[name], h("span", { t: `field.${name}` }))),
      ),
      h("h3", { t: "profile.preview_title" }),
      h("p", { class: "muted", t: "profile.preview_intro" }),
      preview,
      hiddenNote,
      h("label", { class: "choice" }, offlineBox, h("span", { t: "profile.offline_card" })),
      h("p", { id: offlineHelpId, class: "muted", t: "profile.offline_card_help" }),
    ),
    h("div", { class: "actions sticky-actions" }, save, message.el),
  );
  form.addEventListener("input", drawPreview);
  form.addEventListener("change", drawPreview);
  drawPreview();

  function validate(values) {
    const problems = [];
    if (!values.name) problems.push([inputs.name, "profile.name_required"]);
    if (!PHONE.test(values.phone)) problems.push([inputs.phone, "profile.phone_invalid"]);
    const badLink = values.links.find((link) => !LINK.test(link));
    if (badLink) problems.push([inputs.links, "profile.link_invalid", { link: badLink }]);
    if (values.links.length > 10) problems.push([inputs.links, "profile.links_too_many"]);
    return problems;
  }

  form.addEventListener("submit", async (submitEvent) => {
    submitEvent.preventDefault();
    clearFieldErrors(form);
    message.clear();
    for (const list of Object.values(lists)) list.commitPending();
    const values = currentValues();
    const problems = validate(values);
    if (problems.length) {
      for (const [control, key, vars] of problems) showFieldError(control, key, vars);
      announce(problems[0][1], problems[0][2]);
      problems[0][0].focus();
      return;
    }
    save.disabled = true;
    try {
      const saved = await api("PATCH", `/api/events/${slug}/me`, values);
      inputs.links.value = saved.links.join("\n");
      message.show("profile.saved", {}, "success");
      // My terms feed the starters a card opened offline shows: keep the phone's copy current.
      refreshDirectory(slug, { force: true }).catch(() => {});
    } catch (error) {
      if (showApiFieldError(form, error)) announceError(error);
      else message.error(error);
    } finally {
      save.disabled = false;
    }
  });

  container.append(
    h("h1", { tabindex: "-1", t: "profile.title" }),
    h("p", { class: "lead", text: event.name }),
    h("p", {}, h("a", { href: `/events/${slug}/badge`, t: "profile.badge_link" })),
    form,
  );
  return {
    onLanguageChange() {
      vocabularyOptions(datalist, event.interests);
      drawPreview();
    },
  };
}
