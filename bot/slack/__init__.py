"""The Slack surface: ids, typed metadata, Block Kit builders and Bolt listeners."""
