"""Conversation starter for one pair in an event of 10,000 attendees (Zipf-distributed interests).

`python -m bench.starters` prints one JSON line: the time to build the event index once, and the
time per pair (mean, p50, p99) over many random pairs, in both languages.
"""

from __future__ import annotations

import json
import random
import time

from api.demo.seed import VOCABULARY
from api.starters.engine import EventIndex, Person, VocabularyTerm, starters_for

ATTENDEES = 10_000
PAIRS = 5_000
SHARED = frozenset({"role", "interests", "looking_for", "can_help_with"})


def population(count: int, seed: int = 11) -> list[Person]:
    rng = random.Random(seed)
    labels = [label for _, label_en, label_es, _ in VOCABULARY for label in (label_en, label_es)]
    free_terms = [f"tema {n}" for n in range(400)]  # terms outside the vocabulary
    pool = labels + free_terms
    weights = [1 / (rank + 1) for rank in range(len(pool))]  # Zipf: a few terms are everywhere
    people = []
    for n in range(count):
        people.append(
            Person(
                id=n,
                name=f"Persona {n}",
                organization=rng.choice(["Acme", "DataLab", "Universidad de Chile", ""]),
                role=rng.choice(["Engineer", "Diseñadora", ""]),
                interests=rng.choices(pool, weights, k=rng.randint(1, 6)),
                looking_for=rng.choices(pool, weights, k=rng.randint(0, 2)),
                can_help_with=rng.choices(pool, weights, k=rng.randint(0, 2)),
                sessions={s: f"Sesión {s}" for s in rng.sample(range(40), rng.randint(0, 5))},
                shared=SHARED if rng.random() < 0.7 else frozenset(),
            )
        )
    return people


def main() -> dict[str, object]:
    people = population(ATTENDEES)
    vocabulary = [VocabularyTerm(key, en, es, aliases) for key, en, es, aliases in VOCABULARY]
    start = time.perf_counter()
    index = EventIndex(vocabulary, people)
    build = time.perf_counter() - start
    rng = random.Random(5)
    samples = []
    for n in range(PAIRS):
        reader, other = rng.sample(people, 2)
        start = time.perf_counter()
        found = starters_for(reader, other, index, "es" if n % 2 else "en")
        samples.append(time.perf_counter() - start)
        assert 1 <= len(found) <= 3
    samples.sort()
    return {
        "attendees": ATTENDEES,
        "pairs": PAIRS,
        "index_build_s": build,
        "mean_ms": sum(samples) / len(samples) * 1000,
        "p50_ms": samples[len(samples) // 2] * 1000,
        "p99_ms": samples[int(len(samples) * 0.99)] * 1000,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
