"""Student applications to a cohort, their documents, and eligibility screening."""
