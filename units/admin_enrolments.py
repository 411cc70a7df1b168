"""Enrolments and qualifications in the admin: bulk enrolment, and a CSV of
usernames and unit codes."""
