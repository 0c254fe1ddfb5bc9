"""Django's own date displays (the admin's lists, forms and filters) in the dashboard's
one form (dashboard/dates.py), instead of English's "Dec. 2, 2026, 5:05 p.m."."""

from dashboard.dates import DATE, MOMENT

DATE_FORMAT = DATE
SHORT_DATE_FORMAT = DATE
DATETIME_FORMAT = MOMENT
SHORT_DATETIME_FORMAT = MOMENT
TIME_FORMAT = "H:i"
