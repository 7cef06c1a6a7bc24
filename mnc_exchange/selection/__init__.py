"""Selection rounds: rubric, reviews, shortlist, interviews, decisions, quota and waitlist."""
