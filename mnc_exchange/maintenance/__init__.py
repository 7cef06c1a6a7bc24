"""Operations: backup and restore, personal-data export and retention."""
