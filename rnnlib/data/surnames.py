"""Surnames labelled by language, for character-level sequence classification.

Built offline from the surname lists that ship with Faker, ``Provider.last_names`` in each
``faker.providers.person.<locale>`` module: a tuple or list in some locales, a dict of name -> frequency
weight in others, whose keys are taken. Only Latin-script locales are used, so a model must tell languages apart
by spelling, not by alphabet. Locales of one language are merged (``en_US`` and ``en_GB`` are both English), and
a name found under two or more languages (``Adams`` is in the English and the Dutch lists, ``Novák`` in the
Czech and the Hungarian ones) is dropped altogether, since its label would be a coin toss. Sizes with Faker 40
and the default ``min_per_language=50`` (names kept after removing those shared between languages):

============  =====  ============  =====  ============  =====
English       1149   Italian       1146   Swedish        432
German        1285   Dutch         1438   Finnish        372
French         619   Portuguese      91   Hungarian       93
Spanish       1457   Czech          194   Croatian       791
============  =====  ============  =====  ============  =====

9067 names in all, 7254 / 906 / 907 in the default 0.8 / 0.1 / 0.1 split.

The classes are unbalanced (as in real name data); report per-class accuracy as well as overall accuracy.
Polish is absent because Faker's ``pl_PL`` builds surnames from stems and suffixes rather than listing them.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rnnlib.data.series import check_fractions, stratified_split
from rnnlib.data.synthetic import as_generator, check_int

LANGUAGE_LOCALES = {
    "English": ("en", "en_US", "en_GB"),
    "German": ("de_DE", "de_AT", "de_CH"),
    # fr_BE is left out: its list mixes Walloon and Flemish (Dutch) names.
    "French": ("fr_FR", "fr_CA", "fr_CH"),
    "Spanish": ("es_ES", "es_MX", "es_AR", "es_CO", "es_CL"),
    "Italian": ("it_IT",),
    "Dutch": ("nl_NL", "nl_BE"),
    "Portuguese": ("pt_PT", "pt_BR"),
    "Czech": ("cs_CZ",),
    "Swedish": ("sv_SE",),
    "Finnish": ("fi_FI",),
    "Hungarian": ("hu_HU",),
    "Croatian": ("hr_HR",),
}
"""Faker locales merged into each language label; labels are numbered in this order."""


@dataclass(frozen=True)
class LabelledNames:
    """Names and their language labels."""

    names: list[str]    # N surnames
    labels: np.ndarray  # (N,) int64 index into the language list


@dataclass(frozen=True)
class Surnames:
    """The three splits of :func:`load_surnames` and the language of each label."""

    train: LabelledNames
    val: LabelledNames
    test: LabelledNames
    languages: list[str]  # C language names; label c is languages[c]


def _faker_last_names(locale: str) -> set[str]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    # NFC makes "é" one code point whether the source file wrote it composed or as "e" + accent.
    return {unicodedata.normalize("NFC", name).strip() for name in provider.last_names}


def surnames_by_language() -> dict[str, list[str]]:
    """Every usable surname per language, sorted, before splitting and before ``min_per_language``.

    Names are compared case-insensitively: a name under two or more languages is removed, and of spellings
    that differ only in case within one language (``McCarthy`` in en_GB, ``Mccarthy`` in en_US) the first in
    code-point order is kept, so that the two cannot land in different splits.

    Returns
    -------
    names : dict of str to list of str
        Language -> sorted unique surnames.
    """
    pools = {}
    for lang, locales in LANGUAGE_LOCALES.items():
        # Sorting matters: set order of strings changes between interpreter runs (hash randomisation).
        by_key = {}
        for name in sorted(set().union(*map(_faker_last_names, locales))):
            by_key.setdefault(name.casefold(), name)
        pools[lang] = by_key
    owners = Counter(key for by_key in pools.values() for key in by_key)
    return {lang: sorted(name for key, name in by_key.items() if owners[key] == 1)
            for lang, by_key in pools.items()}


def load_surnames(seed=0, min_per_language=50, split=(0.8, 0.1, 0.1)) -> Surnames:
    """Surnames with language labels, split into train, validation and test sets stratified by language.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Source of randomness for the split and the order within each split.
    min_per_language : int
        Languages with fewer usable names than this are left out (and the remaining labels renumbered).
    split : tuple of float
        ``(train, validation, test)`` fractions, summing to 1. Every language is divided in these
        proportions (rounded per language), so the class balance is the same in all three splits.

    Returns
    -------
    surnames : Surnames
        ``train``, ``val``, ``test`` each hold ``names`` (N surnames) and ``labels`` (N,) int64; no name is in
        two splits. ``languages`` (C names) gives the language of each label.
    """
    min_per_language = check_int("min_per_language", min_per_language, 1)
    check_fractions(split, n_parts=3)
    rng = as_generator(seed)
    pools = {lang: names for lang, names in surnames_by_language().items() if len(names) >= min_per_language}
    if len(pools) < 2:
        raise ValueError(f"min_per_language={min_per_language} leaves {len(pools)} language(s); "
                         "at least 2 are needed for a classification task")
    languages = list(pools)
    names = [name for lang in languages for name in pools[lang]]
    labels = np.repeat(np.arange(len(languages)), [len(pools[lang]) for lang in languages])  # (N,)
    train, val, test = (LabelledNames([names[i] for i in idx], labels[idx])
                        for idx in stratified_split(labels, split, rng))
    return Surnames(train, val, test, languages)
