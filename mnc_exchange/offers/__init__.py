"""Internship offers published by host companies, checked against French internship law."""
