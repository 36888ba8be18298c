"""Ages: the day a person stops being younger than an age limit."""

from __future__ import annotations

from datetime import date, timedelta


def age_limit_end(birth_date: date, max_age: int) -> date:
    """The last day a person is younger than `max_age`: the day before that birthday."""
    try:
        birthday = birth_date.replace(year=birth_date.year + max_age)
    except ValueError:  # born on 29 February: the birthday falls on 1 March
        birthday = date(birth_date.year + max_age, 3, 1)
    return birthday - timedelta(days=1)
