"""The audit log: every state change, who did it, when and from where."""
