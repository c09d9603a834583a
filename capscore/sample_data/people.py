"""Fake Chinese person names (legal representatives, inventors, individual applicants)."""

from __future__ import annotations

import numpy as np

from capscore.sample_data.vocab import GIVEN_CHARS, SURNAMES


def zipf_weights(n: int, exponent: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


_SURNAMES = np.array(list(SURNAMES))
_GIVEN = np.array(list(GIVEN_CHARS))
_SURNAME_P = zipf_weights(_SURNAMES.size, 0.9)
_GIVEN_P = zipf_weights(_GIVEN.size, 0.5)


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """n names of 2 or 3 characters (surname + 1-2 given characters), as a str array."""
    surname = rng.choice(_SURNAMES, size=n, p=_SURNAME_P)
    first = rng.choice(_GIVEN, size=n, p=_GIVEN_P)
    second = rng.choice(_GIVEN, size=n, p=_GIVEN_P)
    two_given = rng.random(n) < 0.72
    second = np.where(two_given & (second != first), second, "")
    return np.char.add(np.char.add(surname, first), second)
