"""The staff console: reports and staff-only writes behind the Django admin (issue 7)."""
