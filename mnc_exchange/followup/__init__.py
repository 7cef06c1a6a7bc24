"""Following the interns: mobility checklist, monthly check-ins, tutor evaluations by link,
incidents, early ends, return to Morocco and employment surveys 3, 6 and 12 months later."""
