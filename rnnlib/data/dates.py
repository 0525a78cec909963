"""Human-readable dates in many languages and formats, paired with their ISO form: a translation task.

``("lundi 30 décembre 2024", "2024-12-30")`` or ``("12/30/24", "2024-12-30")``: a sequence-to-sequence model
reads the left string character by character and writes the right one. Dates are drawn with numpy; the text
is rendered by Babel (``babel.dates.format_date``) from CLDR's locale data, which ships inside the Babel
wheel, in CLDR's named ``medium``, ``long`` and ``full`` formats and in custom patterns.

Two traps are avoided on purpose:

* **Week-year.** In CLDR patterns ``y`` is the calendar year but ``Y`` is the ISO *week-numbering* year:
  ``format_date(date(2024, 12, 30), "YYYY")`` gives ``"2025"``, because that Monday starts week 1 of 2025.
  A dataset rendered with ``YYYY`` silently mislabels late-December and early-January dates. Every pattern
  here uses ``yyyy``/``yy``, and :func:`make_dates` rejects any pattern with a ``Y`` field.
* **Ambiguous numeric dates.** CLDR's ``short`` formats write 3 April 2021 as ``3/4/21`` in Spanish and
  4 March 2021 the same way in American English; the model never sees the locale, so it could not tell them
  apart. ``short`` is therefore not among the default formats. The numeric defaults keep one rule per
  separator: dots are day first (``dd.MM.yyyy``, German ``medium``), slashes with a two-digit year are month
  first (``MM/dd/yy``), slashes with a four-digit year are day first (Portuguese ``medium``).

The default range, 1950-2049, spans exactly 100 years, so a two-digit year names one year only;
:func:`make_dates` refuses patterns with ``yy`` over longer ranges. With the default locales and formats, no
string stands for two dates: rendering all 36,525 days in all 80 locale-format combinations gives 1,584,857
distinct strings, each with one date.
"""

from __future__ import annotations

import datetime as dt
import re

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, parse_pattern

from rnnlib.data.series import check_fractions, split_points
from rnnlib.data.synthetic import as_generator, check_int

DEFAULT_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_PT")
DEFAULT_FORMATS = (
    "medium", "long", "full",
    "d MMM yyyy", "d MMMM yyyy", "EEE d MMM yyyy", "EEEE d MMMM yyyy", "MMMM d, yyyy",
    "dd.MM.yyyy", "MM/dd/yy",
)
NAMED_FORMATS = ("short", "medium", "long", "full")


def _parse_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError) as err:
        raise ValueError(f"unknown locale {locale!r}: {err}") from err


def _pattern_fields(fmt: str, locale: Locale) -> list[str]:
    """The date fields of a named format or a pattern, e.g. ``["EEEE", "d", "MMMM", "y"]``."""
    pattern = locale.date_formats[fmt] if fmt in NAMED_FORMATS else parse_pattern(fmt)
    return re.findall(r"%\((\w+)\)s", pattern.format)


def _check_format(fmt: str, locale: Locale, start: dt.date, end: dt.date) -> None:
    fields = _pattern_fields(fmt, locale)
    where = f"format {fmt!r} (locale {locale})"
    if any(f.startswith("Y") for f in fields):
        raise ValueError(f"{where} uses the week-numbering year 'Y', which mislabels late-December dates; "
                         "use the calendar year 'yyyy' or 'yy'")
    missing = [name for name, letters in (("year", "y"), ("month", "ML"), ("day", "d"))
               if not any(f[0] in letters for f in fields)]
    if missing:
        raise ValueError(f"{where} does not show the {', '.join(missing)}, so the date cannot be recovered")
    if "yy" in fields and end.year - start.year >= 100:
        raise ValueError(f"{where} has a two-digit year, which is ambiguous over {start} to {end}; "
                         "use a range of at most 100 calendar years")


def render_date(d, fmt, locale) -> str:
    """Write one date in a locale's named format or a custom CLDR pattern.

    Parameters
    ----------
    d : datetime.date
        The date.
    fmt : str
        ``"short"``, ``"medium"``, ``"long"``, ``"full"`` or a pattern such as ``"EEEE d MMMM yyyy"``.
    locale : str
        A Babel locale identifier such as ``"fr_FR"``.

    Returns
    -------
    text : str
        For example ``render_date(date(2024, 12, 30), "full", "fr_FR") == "lundi 30 décembre 2024"``.
    """
    loc = _parse_locale(locale)
    _check_format(fmt, loc, d, d)
    return format_date(d, format=fmt, locale=loc)


def make_dates(n, seed, locales=DEFAULT_LOCALES, formats=DEFAULT_FORMATS, start=dt.date(1950, 1, 1),
               end=dt.date(2049, 12, 31)):
    """Random dates, each written in a random locale and format, with its ISO 8601 form as the target.

    Each example draws a day uniformly from ``start`` to ``end`` (both included), a locale uniformly from
    ``locales`` and a format uniformly from ``formats``.

    Parameters
    ----------
    n : int
        Number of examples N.
    seed : int or numpy.random.Generator
        Source of randomness.
    locales : sequence of str
        Babel locale identifiers.
    formats : sequence of str
        Named CLDR formats (``"medium"``, ...) or CLDR patterns. Every format must show the day, month and
        calendar year; ``Y`` (week-year) is refused, as is ``yy`` when the range exceeds 100 years.
    start, end : datetime.date
        First and last possible date.

    Returns
    -------
    pairs : list of tuple of str
        N pairs ``(human_readable, "YYYY-MM-DD")``.
    """
    n = check_int("n", n, 1)
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)) or start > end:
        raise ValueError(f"start and end must be datetime.date with start <= end, got {start!r} and {end!r}")
    locales, formats = tuple(locales), tuple(formats)
    if not locales or not formats:
        raise ValueError(f"locales and formats must not be empty, got {locales!r} and {formats!r}")
    parsed = [_parse_locale(loc) for loc in locales]
    for loc in parsed:
        for fmt in formats:
            _check_format(fmt, loc, start, end)
    rng = as_generator(seed)
    offsets = rng.integers(0, (end - start).days + 1, size=n)  # (N,)
    which_locale = rng.integers(0, len(parsed), size=n)  # (N,)
    which_format = rng.integers(0, len(formats), size=n)  # (N,)
    pairs = []
    for off, li, fi in zip(offsets.tolist(), which_locale.tolist(), which_format.tolist()):
        d = start + dt.timedelta(days=off)
        pairs.append((format_date(d, format=formats[fi], locale=parsed[li]), d.isoformat()))
    return pairs


def split_by_date(pairs, fractions=(0.8, 0.1, 0.1), seed=0):
    """Split pairs so that each distinct date lands in one part only.

    A random split of the pairs would put ``"30 Dec 2024"`` in training and ``"December 30, 2024"`` in test,
    rewarding memorisation. Here the distinct target dates are shuffled and cut by ``fractions``, and every
    pair follows its date; the parts therefore hold those fractions of the *dates*, and about those fractions
    of the pairs. Since every rendered string names one date, no input string is shared between parts either.

    Parameters
    ----------
    pairs : list of tuple of str
        ``(human_readable, "YYYY-MM-DD")`` pairs, as from :func:`make_dates`.
    fractions : sequence of float
        Share of the distinct dates in each part, summing to 1.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    parts : list of list of tuple of str
        ``len(fractions)`` lists of pairs, each keeping the input order.
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("pairs is empty: there is nothing to split")
    f = check_fractions(fractions)
    dates = sorted({target for _, target in pairs})
    order = as_generator(seed).permutation(len(dates))
    bounds = split_points(len(dates), f)
    part_of = {}
    for part, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        part_of.update((dates[i], part) for i in order[lo:hi])
    parts = [[] for _ in f]
    for pair in pairs:
        parts[part_of[pair[1]]].append(pair)
    return parts
