"""Domain logic. Nothing in here imports Slack; every function takes a keyword-only session."""
