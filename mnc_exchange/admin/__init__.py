"""Administration: users, the audit log, the e-mail outbox."""
