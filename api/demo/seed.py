"""Build and store the demo event; deterministic, so every machine gets the same people."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.badges.service import issue_missing_badges
from api.models import Account, Attendee, Event, EventRole, EventSession, Interest

DEMO_SLUG = "demo"
ORGANIZER_EMAIL = "organizadora@example.org"
STAFF_EMAIL = "staff@example.org"
ATTENDEE_EMAIL = "asistente@example.org"
TIMEZONE = "Europe/Madrid"

FIRST_NAMES = [
    "Lucía",
    "Mateo",
    "Sofía",
    "Hugo",
    "Martina",
    "Alejandro",
    "Valentina",
    "Pablo",
    "Camila",
    "Diego",
    "Ximena",
    "Joaquín",
    "Renata",
    "Nicolás",
    "Mariana",
    "José",
    "Ana",
    "Íñigo",
    "Núria",
    "Sergio",
    "Emily",
    "James",
    "Olivia",
    "Liam",
    "Amelia",
    "Noah",
    "Grace",
    "Oliver",
    "Chloe",
    "Ethan",
    "Priya",
    "Kwame",
    "Mei",
    "Yusuf",
    "Aisha",
    "Kenji",
    "Fatima",
    "Tomás",
]
LAST_NAMES = [
    "García",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Muñoz",
    "Álvarez",
    "Castillo",
    "Ortega",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Clarke",
    "Okafor",
    "Chen",
    "Nakamura",
    "Haddad",
    "Patel",
    "Ibáñez",
    "Nuñez",
    "O'Brien",
]
ORGANIZATIONS = [
    "Universidad de Salamanca",
    "Tecnológico de Monterrey",
    "Fundación Sadosky",
    "DataLab Madrid",
    "Acme Robotics",
    "Open Knowledge Foundation",
    "Cooperativa Tejido",
    "BBVA Next",
    "Mercado Libre",
    "Ayuntamiento de Valencia",
    "Globant",
    "Red Cross",
    "Wikimedia España",
    "Banco Interamericano de Desarrollo",
    "Startup Andina",
    "University of Leeds",
    "",
]
ROLES = [
    "Investigadora",
    "Ingeniero de datos",
    "Product manager",
    "Fundadora",
    "Community manager",
    "Software engineer",
    "Directora de innovación",
    "Designer",
    "Student",
    "Consultor",
    "CTO",
]
# key, English label, Spanish label, aliases in both languages
VOCABULARY = [
    (
        "machine-learning",
        "Machine learning",
        "Aprendizaje automático",
        ["ML", "aprendizaje de máquinas"],
    ),
    ("open-data", "Open data", "Datos abiertos", ["datos públicos"]),
    ("accessibility", "Accessibility", "Accesibilidad", ["a11y"]),
    ("civic-tech", "Civic tech", "Tecnología cívica", ["govtech"]),
    ("sustainability", "Sustainability", "Sostenibilidad", ["climate", "clima"]),
    ("fundraising", "Fundraising", "Captación de fondos", ["funding", "financiación"]),
    ("design", "Design", "Diseño", ["UX", "diseño de experiencia"]),
    ("education", "Education", "Educación", ["edtech"]),
    ("health", "Health", "Salud", ["healthtech", "salud digital"]),
    ("security", "Security", "Seguridad", ["ciberseguridad", "infosec"]),
    ("community", "Community building", "Comunidades", ["community management"]),
    ("hiring", "Hiring", "Contratación", ["recruiting", "selección de personal"]),
    ("fintech", "Fintech", "Finanzas digitales", ["pagos"]),
    ("journalism", "Data journalism", "Periodismo de datos", ["periodismo"]),
    ("open-source", "Open source", "Código abierto", ["software libre", "FOSS"]),
]
SESSIONS = [
    ("Apertura: redes que duran", "Auditorio"),
    ("Machine learning for public services", "Sala A"),
    ("Datos abiertos en América Latina", "Sala B"),
    ("Accessible design from day one", "Sala A"),
    ("Financiar proyectos de código abierto", "Sala B"),
    ("Security for small teams", "Sala C"),
    ("Taller: periodismo de datos", "Sala C"),
    ("Cierre y networking", "Auditorio"),
]


def _labels(rng: random.Random, count: int) -> list[str]:
    picks = rng.sample(VOCABULARY, count)
    return [entry[2] if rng.random() < 0.5 else entry[1] for entry in picks]


def demo_attendees(count: int = 300, seed: int = 2026) -> list[dict[str, object]]:
    """Varied demo attendees as plain dictionaries."""
    rng = random.Random(seed)
    people: list[dict[str, object]] = []
    used: set[str] = set()
    while len(people) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        handle = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        handle = handle.encode("ascii", "ignore").decode()
        email = f"{handle}{len(people)}@example.org"
        if email in used:
            continue
        used.add(email)
        people.append(
            {
                "email": email,
                "name": f"{first} {last}",
                "organization": rng.choice(ORGANIZATIONS),
                "role": rng.choice(ROLES),
                "language": "es" if rng.random() < 0.6 else "en",
                "interests": _labels(rng, rng.randint(1, 4)),
                "looking_for": _labels(rng, rng.randint(0, 2)),
                "can_help_with": _labels(rng, rng.randint(0, 2)),
                "shared_fields": ["role", "interests", "looking_for", "can_help_with"]
                if rng.random() < 0.7
                else [],
                "ticket_type": rng.choice(["General", "Estudiante", "Speaker"]),
            }
        )
    return people


async def seed_demo(session: AsyncSession, today: date | None = None) -> bool:
    """Create the demo event, its people and accounts unless it exists; True when created."""
    if await session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG)) is not None:
        return False
    today = today or date.today()
    zone = ZoneInfo(TIMEZONE)
    accounts = {}
    for email, language, creator in (
        (ORGANIZER_EMAIL, "es", True),
        (STAFF_EMAIL, "es", False),
        (ATTENDEE_EMAIL, "en", False),
    ):
        account = await session.scalar(select(Account).where(Account.email == email))
        if account is None:
            account = Account(email=email, language=language, can_create_events=creator)
            session.add(account)
        accounts[email] = account
    event = Event(
        slug=DEMO_SLUG,
        name="Enlace Demo 2026",
        starts_on=today,
        ends_on=today + timedelta(days=1),
        timezone=TIMEZONE,
        languages=["es", "en"],
    )
    session.add(event)
    await session.flush()
    event.created_by = accounts[ORGANIZER_EMAIL].id
    session.add_all(
        [
            EventRole(event_id=event.id, account_id=accounts[ORGANIZER_EMAIL].id, role="organizer"),
            EventRole(event_id=event.id, account_id=accounts[STAFF_EMAIL].id, role="staff"),
        ]
    )
    for key, label_en, label_es, aliases in VOCABULARY:
        session.add(
            Interest(
                event_id=event.id, key=key, label_en=label_en, label_es=label_es, aliases=aliases
            )
        )
    for index, (title, room) in enumerate(SESSIONS):
        day = today + timedelta(days=index // 4)
        start = datetime.combine(day, time(9 + 2 * (index % 4)), tzinfo=zone)
        session.add(
            EventSession(
                event_id=event.id,
                title=title,
                room=room,
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
            )
        )
    people = demo_attendees()
    people.append(
        {
            "email": ATTENDEE_EMAIL,
            "name": "Alex Rivera",
            "organization": "Cooperativa Tejido",
            "role": "Product manager",
            "language": "en",
            "interests": ["Open data", "Accesibilidad", "Machine learning"],
            "looking_for": ["Fundraising"],
            "can_help_with": ["Design"],
            "shared_fields": ["role", "interests", "looking_for", "can_help_with"],
            "ticket_type": "General",
        }
    )
    session.add_all(Attendee(event_id=event.id, **person) for person in people)
    await session.flush()
    await issue_missing_badges(session, event.id)
    return True
