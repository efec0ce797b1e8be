"""Readable, deterministic prose and lyrics built around the prompt's own words."""
from __future__ import annotations

import random
import re

STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from how i in is it its me my of on or "
    "please should so tell than that the this to us was we what when where which who why will "
    "with would you your about into write give make explain some short simple terms".split()
)
OPENINGS = (
    "Here is a simulated answer about {a}.",
    "Let's look at {a} step by step.",
    "Good question about {a}.",
)
SENTENCES = (
    "The key idea behind {a} is that it connects naturally with {b}.",
    "Most people first notice {a} when they think about {b}.",
    "A practical way to approach {a} is to start small and build from {b}.",
    "In short, {a} matters because it shapes how {b} works in practice.",
    "One common misconception is that {a} and {b} are unrelated.",
    "Consider a simple example: {a} applied to everyday {b}.",
    "Experts often describe {a} in terms of {b} and its trade-offs.",
    "It also helps to compare {a} with {b} to see where they differ.",
    "The details of {a} vary, but the pattern around {b} stays the same.",
    "If you remember one thing, remember how {a} relates to {b}.",
)
CLOSINGS = (
    "This reply was produced by the simulated provider, so treat it as a placeholder.",
    "That is the simulated summary; a real model would go deeper into {a}.",
)
LYRIC_LINES = (
    "I keep dreaming of {a} under {b}",
    "Every road leads back to {a}",
    "We were singing about {a} all night",
    "Hold on to {b}, let it shine",
    "Where the {a} meets the {b}",
    "Turn it up, the {a} is calling",
    "Dancing slow with {b} in my mind",
    "Say my name like {a} in the rain",
)
FALLBACK_TOPICS = ("your question", "the idea", "this topic")


def keywords(text: str, limit: int = 6) -> list[str]:
    words: list[str] = []
    for word in re.findall(r"[^\W\d_][\w'-]*", text.lower()):
        if len(word) > 2 and word not in STOPWORDS and word not in words:
            words.append(word)
    return words[:limit] or list(FALLBACK_TOPICS)


def _pair(rng: random.Random, topics: list[str]) -> dict[str, str]:
    first, second = rng.sample(topics if len(topics) > 1 else [*topics, *FALLBACK_TOPICS], 2)
    return {"a": first, "b": second}


def prose(prompt: str, rng: random.Random, sentence_count: int | None = None) -> str:
    topics = keywords(prompt)
    count = sentence_count or rng.randint(5, 9)
    lines = [rng.choice(OPENINGS).format(**_pair(rng, topics))]
    lines += [rng.choice(SENTENCES).format(**_pair(rng, topics)) for _ in range(count)]
    lines.append(rng.choice(CLOSINGS).format(**_pair(rng, topics)))
    return " ".join(lines)


def lyrics(prompt: str, rng: random.Random) -> tuple[str, str]:
    """(title, lyrics) in Suno's sectioned layout."""
    topics = keywords(prompt)
    title = " ".join(word.capitalize() for word in topics[:3])

    def stanza(size: int) -> str:
        return "\n".join(rng.choice(LYRIC_LINES).format(**_pair(rng, topics)) for _ in range(size))

    chorus = stanza(4)
    sections = [("Verse 1", stanza(4)), ("Chorus", chorus), ("Verse 2", stanza(4)), ("Chorus", chorus),
                ("Outro", stanza(2))]
    return title, "\n\n".join(f"[{name}]\n{body}" for name, body in sections)
