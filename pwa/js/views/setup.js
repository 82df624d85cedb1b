// Setting up my card (/events/SLUG/setup, where an invitation's link lands): what a scan of my badge
// shows now, what the organizer imported about me, and what to share, field by field, with why.
// Nothing is ticked until I tick it; sharing my interests is offered first, in one tap.
import { api } from "../api.js";
import { h, messageBox, newId, section } from "../dom.js";
import { refreshDirectory } from "../outbox/directory.js";
import { badgeCard } from "./badge.js";

// In the order offered, each with why it helps (the reasons are in the catalogs).
const FIELDS = ["interests", "looking_for", "can_help_with", "role", "email", "phone", "links", "bio"];

const isEmpty = (value) => value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);

function shownOn(profile, shared) {
  const card = { name: profile.name, organization: profile.organization };
  for (const name of shared) card[name] = profile[name];
  return card;
}

export async function render(container, { params }) {
  const [slug] = params;
  const profile = await api("GET", `/api/events/${slug}/me`);
  const message = messageBox();
  const shared = new Set(profile.shared_fields);
  const preview = h("div", {});
  const boxes = {};

  function drawPreview() {
    preview.replaceChildren(badgeCard(shownOn(profile, [...shared])));
  }

  async function save(successKey) {
    message.clear();
    try {
      const saved = await api("PATCH", `/api/events/${slug}/me`, { shared_fields: FIELDS.filter((f) => shared.has(f)) });
      shared.clear();
      for (const name of saved.shared_fields) shared.add(name);
      for (const [name, box] of Object.entries(boxes)) box.checked = shared.has(name);
      drawPreview();
      message.show(successKey, {}, "success");
      refreshDirectory(slug, { force: true }).catch(() => {}); // my card, as phones will see it
    } catch (error) {
      message.error(error);
    }
  }

  const rows = FIELDS.filter((name) => !isEmpty(profile[name])).map((name) => {
    const box = h("input", { type: "checkbox", name: "shared", value: name, checked: shared.has(name) });
    boxes[name] = box;
    box.addEventListener("change", () => {
      if (box.checked) shared.add(name);
      else shared.delete(name);
      drawPreview();
    });
    const value = Array.isArray(profile[name]) ? profile[name].join(", ") : profile[name];
    const reasonId = newId("why");
    box.setAttribute("aria-describedby", reasonId);
    return h(
      "li",
      { class: "setup-field" },
      h("label", { class: "choice" }, box, h("span", { t: ["setup.share_field", { field: { t: `field.${name}` } }] })),
      h("p", { class: "setup-value", dir: "auto", text: value }),
      h("p", { class: "muted", id: reasonId, t: `setup.why.${name}` }),
    );
  });

  const interestsFirst =
    !isEmpty(profile.interests) && !shared.has("interests")
      ? h(
          "div",
          { class: "stack" },
          h("p", { t: ["setup.interests_offer", { interests: profile.interests.join(", ") }] }),
          h(
            "div",
            { class: "actions" },
            h("button", {
              type: "button",
              class: "primary",
              t: "setup.share_interests",
              on: {
                click: (event) => {
                  shared.add("interests");
                  event.currentTarget.closest(".stack").remove();
                  save("setup.interests_shared");
                },
              },
            }),
          ),
        )
      : null;

  const saveButton = h("button", { type: "submit", class: "primary", t: "setup.save" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    rows.length
      ? h("fieldset", { class: "choice-group" }, h("legend", { t: "setup.legend" }), h("ul", { class: "setup-fields" }, rows))
      : h("p", { class: "muted", t: "setup.nothing_imported" }),
    h("div", { class: "actions" }, saveButton),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    saveButton.disabled = true;
    await save("setup.saved");
    saveButton.disabled = false;
  });

  drawPreview();
  container.append(
    ...[h("h1", { tabindex: "-1", t: "setup.title" }), h("p", { class: "lead", t: "setup.intro" }), interestsFirst].filter(Boolean),
    section("setup.now_title", h("p", { t: "setup.now_intro" }), preview),
    section("setup.imported_title", h("p", { t: "setup.imported_intro" }), form),
    message.el,
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button", href: `/events/${slug}/badge`, t: "home.badge_link" }),
      h("a", { class: "button secondary", href: `/events/${slug}/profile`, t: "home.profile_link" }),
    ),
  );
  return null;
}
