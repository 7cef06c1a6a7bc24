"""QR codes (segno) as data URIs, so that PDFs embed them without fetching anything."""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)
