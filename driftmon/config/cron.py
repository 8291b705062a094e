"""Standard five-field cron expressions, evaluated in UTC by APScheduler's CronTrigger.

APScheduler 3 numbers weekdays from Monday = 0 while crontab numbers them from Sunday = 0
(apscheduler issue 286), so `0 9 * * 1-5` would silently mean Tuesday to Saturday. The
day-of-week field is translated to weekday names here, and the scheduler and the window
arithmetic both build their triggers with `cron_trigger`, so they always agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FULL_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _day_number(token: str, expression: str) -> int:
    text = token.strip().lower()
    if text in _NAMES:
        return _NAMES.index(text)
    if text in _FULL_NAMES:
        return _FULL_NAMES.index(text)
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text) % 7
    raise ValueError(
        f"cron expression {expression!r}: day of week {token!r} is not 0-7 (0 and 7 are Sunday) or sun..sat"
    )


def _weekdays(field: str, expression: str) -> str:
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        if step_text and (not step_text.isdigit() or int(step_text) < 1):
            raise ValueError(f"cron expression {expression!r}: bad step {step_text!r} in day of week")
        step = int(step_text) if step_text else 1
        if body == "*":
            first, last = 0, 6
        elif "-" in body:
            lo, hi = body.split("-", 1)
            first, last = _day_number(lo, expression), _day_number(hi, expression)
            if hi.strip() == "7":
                last = 7  # `5-7` is Friday to Sunday
            if last < first:
                raise ValueError(f"cron expression {expression!r}: day-of-week range {body!r} runs backwards")
        else:
            first = last = _day_number(body, expression)
            if step_text:
                last = 6
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_NAMES[d] for d in sorted(days))


def cron_trigger(expression: str, end_date: datetime | None = None) -> CronTrigger:
    """Build a UTC CronTrigger from `minute hour day month day-of-week` with crontab weekdays.

    `end_date` bounds the search for the next fire time (APScheduler otherwise scans years
    ahead for an expression such as February 30th that never fires).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"cron expression {expression!r} has {len(fields)} fields; expected 5: "
            "minute hour day-of-month month day-of-week, e.g. '0 * * * *' for every hour"
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekdays(weekday, expression),
            second=0,
            timezone=UTC,
            end_date=end_date,
        )
    except ValueError as exc:
        if str(exc).startswith("cron expression"):
            raise
        raise ValueError(f"cron expression {expression!r}: {exc}") from None


def validate_cron(expression: str) -> str:
    """Return `expression` if it is a valid five-field cron expression that fires, else raise ValueError."""
    start = datetime(2001, 1, 1, tzinfo=UTC)
    span = timedelta(days=366 * 8)  # 29 February fires at least once in any 8 years
    if cron_trigger(expression, start + span).get_next_fire_time(None, start) is None:
        raise ValueError(f"cron expression {expression!r} never fires (is the date impossible?)")
    return expression
