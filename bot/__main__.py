"""`python -m bot` is the same as `mentor-bot`."""

import sys

from bot.cli import main

sys.exit(main())
