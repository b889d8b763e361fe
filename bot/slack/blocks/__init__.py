"""Pure Block Kit builders: data in, slack_sdk.models objects out. No I/O, no Bolt."""
