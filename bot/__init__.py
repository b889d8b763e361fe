"""Reverse-mentoring Slack bot."""

__version__ = "0.1.0"
