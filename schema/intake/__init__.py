"""GraphQL of enrolment files: submitting one, and reading what came of it."""
