"""Host companies (French employers), their contacts and tutors."""
