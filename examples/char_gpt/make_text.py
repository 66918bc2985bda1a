"""The training text of the character-level GPT: short stories from a small grammar.

The text is a pure function of the seed (Python's ``random.Random``), so every run, every
framework and every machine trains on the same characters. Each story has structure a small
model can learn from characters alone: spelling, a fixed sentence frame, a name that is
introduced and then repeated, and a closing line that depends on the story's mood.

`train.py` writes it to `input.txt` (150,037 characters with the defaults).
"""

from __future__ import annotations

import random

__all__ = ["make_text"]

NAMES = ["anna", "boris", "clara", "daniel", "emma", "felix", "greta", "hugo", "ines", "jonas"]
ANIMALS = ["cat", "dog", "fox", "owl", "goat", "horse", "rabbit", "mouse"]
COLOURS = ["red", "green", "blue", "yellow", "brown", "white"]
PLACES = ["the river", "the old mill", "the forest", "the market", "the hill", "the garden"]
THINGS = ["ball", "hat", "kite", "boat", "lamp", "book", "drum"]
FEELINGS = {
    "happy": ["laughed", "sang a song", "danced"],
    "sad": ["cried", "sat down", "went home"],
}
TIMES = ["one morning", "one evening", "on a rainy day", "in the summer"]


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def _story(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    animal = rng.choice(ANIMALS)
    colour = rng.choice(COLOURS)
    thing = rng.choice(THINGS)
    place = rng.choice(PLACES)
    mood = rng.choice(sorted(FEELINGS))
    found = mood == "happy"
    lines = [
        f"{rng.choice(TIMES)}, {name} went to {place} with {_article(animal)} {animal}.",
        f"{name} was looking for a {colour} {thing}.",
        (
            f"the {animal} found the {colour} {thing} near {place}."
            if found
            else f"the {animal} looked everywhere, but the {thing} was gone."
        ),
        f"{name} was {mood} and {rng.choice(FEELINGS[mood])}.",
    ]
    return " ".join(lines) + "\n"


def make_text(seed: int = 1234, chars: int = 150_000) -> str:
    """Stories from the grammar until the text holds at least ``chars`` characters."""
    rng = random.Random(seed)
    stories: list[str] = []
    length = 0
    while length < chars:
        stories.append(_story(rng))
        length += len(stories[-1])
    return "".join(stories)
