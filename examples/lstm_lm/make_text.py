"""The training text of the LSTM language model: sentences whose verb agrees with a
subject several words back.

"the dog that the cats chase is hungry ." The noun right before the verb ("cats") is plural,
but the verb must agree with the subject ("dog"), so a model predicts "is" only if it carries
the subject's number across the relative clause: a memory an LSTM has and a bigram model has
not. The text is a pure function of the seed (Python's ``random.Random``).

`train.py` writes it to `input.txt` (50,000 words and more with the defaults).
"""

from __future__ import annotations

import random

__all__ = ["agreement_prefix", "make_sentence", "make_text"]

NOUNS = {  # singular: plural
    "dog": "dogs",
    "cat": "cats",
    "bird": "birds",
    "farmer": "farmers",
    "child": "children",
    "teacher": "teachers",
    "horse": "horses",
    "baker": "bakers",
}
ADJECTIVES = ["hungry", "happy", "tired", "small", "old", "loud", "quiet"]
TRANSITIVE = {"chases": "chase", "sees": "see", "likes": "like", "follows": "follow"}
INTRANSITIVE = {"sleeps": "sleep", "runs": "run", "sings": "sing", "waits": "wait"}
PLACES = ["the house", "the barn", "the river", "the school", "the bridge"]


def _noun_phrase(rng: random.Random, plural: bool) -> list[str]:
    singular = rng.choice(sorted(NOUNS))
    return ["the", NOUNS[singular] if plural else singular]


def _verb(rng: random.Random, verbs: dict[str, str], plural: bool) -> str:
    singular = rng.choice(sorted(verbs))
    return verbs[singular] if plural else singular


def _subject(rng: random.Random, plural: bool) -> list[str]:
    """A subject, often with a modifier whose own noun has the other number, as a distractor."""
    words = _noun_phrase(rng, plural)
    kind = rng.random()
    if kind < 0.45:  # relative clause: "that the cats chase"
        other = (not plural) if rng.random() < 0.7 else plural
        words += ["that", *_noun_phrase(rng, other), _verb(rng, TRANSITIVE, other)]
    elif kind < 0.7:  # prepositional phrase: "near the barn"
        words += [rng.choice(["near", "behind"]), *rng.choice(PLACES).split()]
    return words


def make_sentence(rng: random.Random) -> list[str]:
    """One sentence, as words, ending with '.'."""
    plural = rng.random() < 0.5
    words = _subject(rng, plural)
    kind = rng.random()
    if kind < 0.4:
        words += ["are" if plural else "is", rng.choice(ADJECTIVES)]
    elif kind < 0.7:
        words += [_verb(rng, INTRANSITIVE, plural)]
    else:
        words += [_verb(rng, TRANSITIVE, plural), *_noun_phrase(rng, rng.random() < 0.5)]
    return [*words, "."]


def agreement_prefix(rng: random.Random) -> tuple[list[str], str, str]:
    """A subject with a relative clause of the other number, the right and the wrong verb:
    (["the", "dog", "that", "the", "cats", "chase"], "is", "are")."""
    plural = rng.random() < 0.5
    words = _noun_phrase(rng, plural)
    words += ["that", *_noun_phrase(rng, not plural), _verb(rng, TRANSITIVE, not plural)]
    return words, ("are" if plural else "is"), ("is" if plural else "are")


def make_text(seed: int = 1234, words: int = 60_000) -> str:
    """Sentences, one a line, until the text holds at least ``words`` words."""
    rng = random.Random(seed)
    lines: list[str] = []
    count = 0
    while count < words:
        sentence = make_sentence(rng)
        lines.append(" ".join(sentence))
        count += len(sentence)
    return "\n".join(lines) + "\n"
