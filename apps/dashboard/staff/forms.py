from datetime import date, datetime, timedelta, timezone

from django import forms

DEFAULT_REPORT_DAYS = 30
MAX_REPORT_DAYS = 366


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


class DateRangeForm(forms.Form):
    """UTC days, both inclusive; empty means the last 30 days (today included)."""

    first_day = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        last_day = cleaned.get("last_day") or utc_today()
        first_day = cleaned.get("first_day") or last_day - timedelta(days=DEFAULT_REPORT_DAYS - 1)
        if first_day > last_day:
            raise forms.ValidationError("'From' must not be after 'To'.")
        if (last_day - first_day).days >= MAX_REPORT_DAYS:
            raise forms.ValidationError(f"At most {MAX_REPORT_DAYS} days at a time.")
        cleaned["first_day"], cleaned["last_day"] = first_day, last_day
        return cleaned
