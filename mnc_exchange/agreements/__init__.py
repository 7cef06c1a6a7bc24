"""Internship agreements (conventions de stage): issue, versions, signatures, préfecture,
amendments, the internship certificate, and public verification."""
