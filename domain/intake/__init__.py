"""Enrolment files in: a census (CSV) whose rows are applied as the policies mutations would be."""
