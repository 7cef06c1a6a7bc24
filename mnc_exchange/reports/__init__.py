"""Officials' dashboard, the yearly cohort report (PDF with charts) and the exports."""
