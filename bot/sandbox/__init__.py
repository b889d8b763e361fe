"""A faithful local stand-in for Slack: Web API server, Block Kit checks, signed-request client."""

from bot.sandbox.appserver import BoltAppServer
from bot.sandbox.client import SimResponse, SlackSim
from bot.sandbox.server import Call, FakeSlack, SlackUser

__all__ = ["BoltAppServer", "Call", "FakeSlack", "SimResponse", "SlackSim", "SlackUser"]
