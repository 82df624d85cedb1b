"""A badge opened offline on a phone holding a 10,000-attendee directory, in headless Chromium;
`python -m bench.offline_card` prints one JSON line.

From a decoded QR (the scanner's in-app navigation to /b/TOKEN) to the card with its starters on
screen (the frame after they are in the page), with the network off: the card is found and opened
in the sealed directory and the starters computed on the phone. Beside it, in the same run and the
same page: the same view online (the server looks the badge up and ranks the starters), the
directory lookup alone, and the starters alone. Medians of 20 badges each, in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright
from sqlalchemy import insert, select

from api.app import create_app
from api.auth.service import start_login_session
from api.db import session_factory, transaction
from api.demo.seed import VOCABULARY
from api.dependencies import SESSION_COOKIE
from api.models import Account, Attendee, Badge, Interest
from bench.local import add_people_with_badges, free_port, serving, sqlite_with_event

ATTENDEES = 10_000
BADGES = 20
CHROMIUM = "/usr/bin/chromium"
SHARED = ["role", "interests", "looking_for", "can_help_with"]

KIT_SAVED = """async () => {
  const { readAll } = await import("/js/outbox/storage.js");
  const saved = (await readAll("directories")).find((d) => d.event === "bench");
  return Boolean(saved && saved.kit && saved.entries.length);
}"""

# From the scanner's navigation to the starters painted: a MutationObserver sees them arrive,
# then the next frame is drawn.
OPEN_CARD = """async (path) => {
  const main = document.querySelector("main");
  const start = performance.now();
  const shown = new Promise((resolve) => {
    const ready = () => !main.hasAttribute("aria-busy") && main.querySelector(".starter");
    const observer = new MutationObserver(() => {
      if (ready()) { observer.disconnect(); resolve(); }
    });
    observer.observe(main, { childList: true, subtree: true, attributes: true });
  });
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
  await shown;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const note = main.querySelector(".message")?.textContent ?? "";
  const offline = note.includes("offline") || note.includes("sin conexión");
  const starters = main.querySelectorAll(".starter").length;
  return { ms: performance.now() - start, offline, starters };
}"""

LOOK_UP = """async (tokens) => {
  const { lookUpOffline } = await import("/js/outbox/directory.js");
  const times = [];
  for (const token of tokens) {
    const start = performance.now();
    const found = await lookUpOffline(token);
    times.push(performance.now() - start);
    if (!found) throw new Error("not in the directory: " + token);
  }
  return times;
}"""

STARTERS_ALONE = """async ({ tokens, rounds }) => {
  const { lookUpOffline } = await import("/js/outbox/directory.js");
  const { startersFromKit } = await import("/js/starters.js");
  const cards = [];
  for (const token of tokens) cards.push(await lookUpOffline(token));
  const times = [];
  for (const found of cards) {
    const start = performance.now();
    const { kit, attendee, card } = found;
    for (let i = 0; i < rounds; i += 1) startersFromKit(kit, attendee, card, "es");
    times.push((performance.now() - start) / rounds);
  }
  return times;
}"""


def terms(rng: random.Random, pool: list[str], weights: list[float], most: int) -> list[str]:
    return sorted(set(rng.choices(pool, weights, k=rng.randint(0, most))))


async def prepare(data_dir: Path, base_url: str) -> tuple[Any, str, list[str]]:
    """The event (vocabulary, 10,000 attendees sharing Zipf-distributed interests), the reader's
    session cookie, and the badge tokens of other attendees."""
    settings, engine, event_id = await sqlite_with_event(data_dir, base_url)
    rng = random.Random(7)
    labels = [label for _, en, es, _ in VOCABULARY for label in (en, es)]
    pool = labels + [f"tema {n}" for n in range(400)]
    weights = [1 / (rank + 1) for rank in range(len(pool))]
    people = [
        (terms(rng, pool, weights, 6), terms(rng, pool, weights, 2), terms(rng, pool, weights, 2))
        for _ in range(ATTENDEES)
    ]
    async with transaction(session_factory(engine)) as session:
        await session.execute(
            insert(Interest),
            [
                {"event_id": event_id, "key": k, "label_en": en, "label_es": es, "aliases": list(a)}
                for k, en, es, a in VOCABULARY
            ],
        )
        await add_people_with_badges(
            session,
            event_id,
            ATTENDEES,
            role=lambda i: "Engineer" if i % 3 else "",
            interests=lambda i: people[i][0],
            looking_for=lambda i: people[i][1],
            can_help_with=lambda i: people[i][2],
            shared_fields=lambda i: SHARED if i % 10 < 7 else [],
        )
        account = Account(email="person0@example.org")
        session.add(account)
        await session.flush()
        cookie = await start_login_session(session, settings, account)
        rows = await session.execute(
            select(Badge.token)
            .join(Attendee, Attendee.id == Badge.attendee_id)
            .where(Attendee.email != "person0@example.org", Badge.revoked_at.is_(None))
            .order_by(Attendee.id)
            .limit(ATTENDEES)
        )
        tokens = [token for (token,) in rows]
    await engine.dispose()
    return settings, cookie, rng.sample(tokens, 3 * BADGES + 1)


async def measure(page: Page, tokens: list[str]) -> list[dict[str, Any]]:
    """Each badge opened from the home screen, as a scan in the app does."""
    results = []
    for token in tokens:
        await page.evaluate("""() => { history.pushState(null, "", "/");
          dispatchEvent(new PopStateEvent("popstate")); }""")
        await page.wait_for_selector("main:not([aria-busy]) h1")
        results.append(await page.evaluate(OPEN_CARD, f"/b/{token}?event=bench"))
    return results


async def bench_offline_card() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings, cookie, tokens = await prepare(Path(folder), base_url)
        async with serving(create_app(settings), port), async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, service_workers="allow", locale="es-ES"
            )
            await context.add_cookies(
                [{"name": SESSION_COOKIE, "value": cookie, "url": base_url, "httpOnly": True}]
            )
            page = await context.new_page()
            await page.goto(f"{base_url}/")
            await page.wait_for_selector("html[data-ready='true']")
            for _ in range(600):  # the directory and the kit, saved while online
                if await page.evaluate(KIT_SAVED):
                    break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the directory was not saved on the phone")
            warm, offline_tokens = tokens[0], tokens[1 : BADGES + 1]
            online_tokens = tokens[BADGES + 1 : 2 * BADGES + 1]
            entries = await page.evaluate(
                """async () => { const { readAll } = await import("/js/outbox/storage.js");
                  return (await readAll("directories"))[0].entries.length; }"""
            )
            online = await measure(page, [warm, *online_tokens])
            await context.set_offline(True)
            offline = await measure(page, [warm, *offline_tokens])
            lookups = await page.evaluate(LOOK_UP, offline_tokens)
            alone = await page.evaluate(STARTERS_ALONE, {"tokens": offline_tokens, "rounds": 50})
            await browser.close()
    offline, online = offline[1:], online[1:]  # the first of each warms up
    assert all(r["offline"] and r["starters"] >= 1 for r in offline), offline
    assert not any(r["offline"] for r in online), online
    median_offline = statistics.median(r["ms"] for r in offline)
    median_online = statistics.median(r["ms"] for r in online)
    return {
        "attendees": ATTENDEES,
        "directory_entries": entries,
        "badges": BADGES,
        "offline_ms": median_offline,
        "offline_max_ms": max(r["ms"] for r in offline),
        "online_ms": median_online,
        "offline_vs_online": median_offline / median_online,
        "lookup_ms": statistics.median(lookups),
        "starters_ms": statistics.median(alone),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(bench_offline_card())))
