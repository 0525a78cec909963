import datetime as dt
from collections import defaultdict

import pytest
from babel.dates import format_date, get_day_names, get_month_names

from rnnlib.data.dates import DEFAULT_FORMATS, DEFAULT_LOCALES, make_dates, render_date, split_by_date

LATE_DECEMBER = [dt.date(2020, 12, 31), dt.date(2024, 12, 30), dt.date(2018, 12, 31), dt.date(2019, 12, 30),
                 dt.date(2021, 1, 1)]


@pytest.fixture(scope="module")
def pairs():
    return make_dates(3000, seed=0)


def test_make_dates_shape_and_targets(pairs):
    assert len(pairs) == 3000
    for text, target in pairs:
        assert isinstance(text, str) and text
        d = dt.date.fromisoformat(target)
        assert dt.date(1950, 1, 1) <= d <= dt.date(2049, 12, 31)
        assert target == d.isoformat()


def test_make_dates_determinism(pairs):
    assert make_dates(3000, seed=0) == pairs
    assert make_dates(3000, seed=1) != pairs


@pytest.mark.parametrize("locale", DEFAULT_LOCALES)
@pytest.mark.parametrize("day", LATE_DECEMBER, ids=str)
def test_year_around_new_year_is_the_calendar_year(day, locale):
    for fmt in DEFAULT_FORMATS:
        text = render_date(day, fmt, locale)
        if fmt == "MM/dd/yy":
            assert text == f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"
        else:
            assert str(day.year) in text, (fmt, text)
            assert str(day.year + 1) not in text and str(day.year - 1) not in text, (fmt, text)


def test_week_year_trap_exists_and_is_refused():
    # Babel's "YYYY" is the ISO week-year: 30 December 2024 falls in week 1 of 2025.
    assert format_date(dt.date(2024, 12, 30), "YYYY", locale="en_US") == "2025"
    with pytest.raises(ValueError, match="week-numbering"):
        make_dates(5, seed=0, formats=["d MMMM YYYY"])
    with pytest.raises(ValueError, match="week-numbering"):
        render_date(dt.date(2024, 12, 30), "dd.MM.YYYY", "de_DE")


@pytest.mark.parametrize("day", LATE_DECEMBER, ids=str)
def test_single_day_range_labels_every_rendering(day):
    for text, target in make_dates(200, seed=3, start=day, end=day):
        assert target == day.isoformat()
        assert str(day.year) in text or text.endswith(f"/{day.year % 100:02d}")


def test_hand_checked_renderings():
    d = dt.date(2024, 12, 30)
    assert render_date(d, "full", "fr_FR") == "lundi 30 décembre 2024"
    assert render_date(d, "long", "en_US") == "December 30, 2024"
    assert render_date(d, "medium", "de_DE") == "30.12.2024"
    assert render_date(d, "long", "es_ES") == "30 de diciembre de 2024"
    assert render_date(dt.date(2018, 12, 31), "EEEE d MMMM yyyy", "it_IT") == "lunedì 31 dicembre 2018"
    assert render_date(dt.date(1950, 1, 2), "MM/dd/yy", "en_US") == "01/02/50"


def _parse_numeric(text, fmt):
    if fmt == "dd.MM.yyyy":
        day, month, year = map(int, text.split("."))
    else:
        month, day, yy = map(int, text.split("/"))
        # The default range 1950-2049 makes the century unique.
        year = 1900 + yy if yy >= 50 else 2000 + yy
    return dt.date(year, month, day)


@pytest.mark.parametrize("fmt", ["dd.MM.yyyy", "MM/dd/yy"])
def test_numeric_formats_parse_back_to_the_target(fmt):
    for text, target in make_dates(400, seed=4, formats=[fmt]):
        assert _parse_numeric(text, fmt).isoformat() == target


@pytest.mark.parametrize("locale", DEFAULT_LOCALES)
def test_named_month_formats_parse_back_to_the_target(locale):
    months = {name: m for m, name in get_month_names("wide", locale=locale).items()}
    weekdays = get_day_names("wide", locale=locale)  # 0 is Monday, as in date.weekday()
    for text, target in make_dates(300, seed=5, locales=[locale], formats=["EEEE d MMMM yyyy"]):
        weekday, day, month, year = text.split(" ")
        parsed = dt.date(int(year), months[month], int(day))
        assert parsed.isoformat() == target
        assert weekday == weekdays[parsed.weekday()]


def test_every_string_names_one_date():
    seen = defaultdict(set)
    for text, target in make_dates(20_000, seed=6):
        seen[text].add(target)
    assert all(len(targets) == 1 for targets in seen.values())


def test_split_by_date_has_no_shared_dates_or_strings(pairs):
    parts = split_by_date(pairs, (0.8, 0.1, 0.1), seed=0)
    assert sorted(p for part in parts for p in part) == sorted(pairs)
    targets = [{t for _, t in part} for part in parts]
    texts = [{s for s, _ in part} for part in parts]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not targets[i] & targets[j]
            assert not texts[i] & texts[j]
    n_dates = len(set().union(*targets))
    for part, f in zip(targets, (0.8, 0.1, 0.1)):
        assert abs(len(part) - f * n_dates) <= 1
    assert split_by_date(pairs, seed=0) == parts
    assert split_by_date(pairs, seed=1) != parts


def test_bad_arguments():
    with pytest.raises(ValueError, match="locale"):
        make_dates(5, seed=0, locales=["xx_YY"])
    with pytest.raises(ValueError, match="start"):
        make_dates(5, seed=0, start=dt.date(2000, 1, 2), end=dt.date(2000, 1, 1))
    with pytest.raises(ValueError, match="two-digit year"):
        make_dates(5, seed=0, start=dt.date(1900, 1, 1))
    with pytest.raises(ValueError, match="day"):
        make_dates(5, seed=0, formats=["MMMM yyyy"])
    with pytest.raises(ValueError, match="n"):
        make_dates(0, seed=0)
    with pytest.raises(ValueError, match="empty"):
        split_by_date([])
