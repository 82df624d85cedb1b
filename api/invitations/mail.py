"""The invitation e-mail of one attendee, rendered from data (no database, no HTTP).

What the organizer's invitation tells an imported attendee, in their language: that Enlace is
the event's networking app, a sign-in link that lands on setting up their card, their badge (in
the app, and its code to type), and that nothing about them is shared until they choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from api.followups.digest import DigestEvent, format_event_dates
from api.i18n import pick_language, translate

_BODY = "margin:0;padding:0;background:#f4f4f1;color:#1b1b1b;"
_CARD = (
    "max-width:560px;margin:0 auto;padding:24px;background:#ffffff;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:16px;"
    "line-height:1.5;overflow-wrap:anywhere;"
)
_BUTTON = (
    "display:inline-block;padding:12px 20px;background:#0b5a50;color:#ffffff;"
    "text-decoration:none;border-radius:6px;font-weight:600;"
)
_MUTED = "color:#4a4a45;font-size:14px;"


@dataclass(frozen=True, slots=True)
class RenderedInvitation:
    subject: str
    text: str
    html: str


def render_invitation(
    name: str, event: DigestEvent, language: str, link: str, badge_code: str, signin_url: str
) -> RenderedInvitation:
    """The invitation for `name` in `language`: `link` signs them in and opens their card's
    set-up; `badge_code` is what to type where a scan fails; `signin_url` is for later."""
    language = pick_language(language)

    def say(key: str, **values: str) -> str:
        return translate(language, f"invitation.{key}", **values)

    dates = format_event_dates(event, language)
    subject = say("subject", event=event.name)
    greeting = say("greeting", name=name) if name.strip() else say("greeting_anonymous")
    paragraphs = [
        say("intro", event=event.name, dates=dates),
        say("steps_title"),
    ]
    steps = [say("step_signin"), say("step_card"), say("step_badge", code=badge_code)]
    after = [say("link_help", url=signin_url), say("private"), say("why", event=event.name)]
    text = "\n\n".join(
        [
            greeting,
            *paragraphs,
            "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)),
            f"{say('open')}:\n{link}",
            *after,
        ]
    )
    html = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(subject)}</title></head>"
        f'<body style="{_BODY}"><div style="{_CARD}">'
        f"<p>{escape(greeting)}</p>"
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + "<ol>"
        + "".join(f"<li>{escape(step)}</li>" for step in steps)
        + "</ol>"
        f'<p><a href="{escape(link)}" style="{_BUTTON}">{escape(say("open"))}</a></p>'
        + "".join(f'<p style="{_MUTED}">{escape(p)}</p>' for p in after)
        + "</div></body></html>"
    )
    return RenderedInvitation(subject=subject, text=text, html=html)
