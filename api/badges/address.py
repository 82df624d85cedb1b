"""Whether the address printed in badges' QR codes can be opened by phones at the event.

With the defaults, `make run` serves on 127.0.0.1 and the QR codes point there: a print run of
badges no phone can open. The print screen and `enlace badges` warn before it is too late.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

Problem = Literal["loopback", "private", "not_https"]


def address_problem(base_url: str) -> Problem | None:
    """What is wrong with `base_url` for printed badges, the worst first; None when it is a
    public https address."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if host == "localhost" or host.endswith(".localhost") or (ip is not None and ip.is_loopback):
        return "loopback"
    private_name = host.endswith((".local", ".lan", ".home.arpa", ".internal")) or "." not in host
    if private_name or (ip is not None and (ip.is_private or ip.is_link_local)):
        return "private"
    if parts.scheme != "https":
        return "not_https"
    return None


ADVICE: dict[Problem, str] = {
    "loopback": (
        "The QR codes would point at {url}, this computer itself: no phone can open it. Set "
        "ENLACE_BASE_URL to the public https address of the server (e.g. "
        "https://enlace.example.org) and restart it before printing."
    ),
    "private": (
        "The QR codes would point at {url}, an address of a private network: only phones on that "
        "same network can open it, and without https the app cannot be installed or work "
        "offline. For printed badges, set ENLACE_BASE_URL to a public https address."
    ),
    "not_https": (
        "The QR codes would point at {url}, without https: phones warn about it, and the app "
        "cannot be installed or work offline. Set ENLACE_BASE_URL to an https address."
    ),
}
