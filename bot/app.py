"""build_app(): the Bolt app with its middleware, listeners and the one global error handler."""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.config import Settings
from bot.i18n import Translator, translator
from bot.observability import CORRELATION_ID, ContextExecutor, MeteredWebClient
from bot.services import pairing
from bot.services.catalog import CatalogDef, load_catalog
from bot.services.jour_fixe import MeetingRefused
from bot.slack import install_pages
from bot.slack.blocks import messages
from bot.slack.blocks.common import Message
from bot.slack.blocks.errors import apology_view
from bot.slack.blocks.jour_fixe import meeting_refused
from bot.slack.blocks.pairing import pair_refused, round_refused
from bot.slack.deps import Deps
from bot.slack.listeners import register_all
from bot.slack.listeners.common import team_of
from bot.slack.metadata import ModalMeta
from bot.slack.transport import KeepAliveRespond
from bot.slack.users import UserDirectory
from bot.slack.workspaces import BOT_SCOPES, CURRENT_TEAM, INSTALL_PATH, REDIRECT_PATH, Workspaces
from bot.store import installations
from bot.store.db import Database
from bot.store.queries import claim_event

log = logging.getLogger(__name__)
# Slack refused to open a modal: the person can simply try again.
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"})


class StickyAck(Ack):
    """An ack that keeps its first response once given, and is seen the moment it is given.

    Bolt's thread runner resets `ack.response` to None when a listener raises after
    acking; if that happens within its 10 ms polling interval, Slack gets a 404
    after 3 s instead of the ack that was already given.

    Bolt's request thread polls `ack.response` and sleeps 10 ms between looks, so every
    ack waited for the next look: 10 ms on average, and 20 ms or more once listener threads
    were busy. Read from any thread but a listener's, `response` waits (up to
    `ACK_WAIT_SECONDS`, after which Bolt's loop goes on as before) until the ack is given.
    """

    def __init__(self) -> None:
        self._response: BoltResponse | None = None
        self._given = threading.Event()

    @property
    def response(self) -> BoltResponse | None:
        """The acknowledgement to send, if any."""
        if self._response is None and not _in_listener_thread():
            self._given.wait(ACK_WAIT_SECONDS)
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is None and self._response is not None:
            return
        self._response = value
        if value is not None:
            self._given.set()


# Long against Bolt's 10 ms sleep between looks (an ack given during that sleep still waits
# for it), short against its 3 s ack timeout, which it checks between looks.
ACK_WAIT_SECONDS = 0.25
LISTENER_THREAD_PREFIX = "bolt-listener"


def _in_listener_thread() -> bool:
    # A listener thread reads `response` only after its listener ran: it must never wait.
    return threading.current_thread().name.startswith(LISTENER_THREAD_PREFIX)


class WithholdRequestBody(logging.Filter):
    """Drop request bodies from Bolt's log lines: they can hold someone's free text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite Bolt's failed-signature line, which embeds the whole body."""
        message = record.getMessage()
        if "body:" in message:
            record.msg = message.split("body:", 1)[0] + "body withheld)"
            record.args = None
        return True


# Bolt names this logger after the class, whatever base logger the app passes in.
logging.getLogger("slack_bolt.RequestVerification").addFilter(WithholdRequestBody())


# Bolt acks only once a listener thread ran the listener up to its ack(); with its default
# of 10 threads, the work that listeners do after their ack (Slack calls, the database)
# keeps new requests from being acked. Most of that work waits on the network.
LISTENER_THREADS = 64


def new_correlation_id() -> str:
    """A short id that a user can quote and an operator can grep for."""
    return secrets.token_hex(6)


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient that retries Slack's 429s after their Retry-After.

    With one workspace the token is SLACK_BOT_TOKEN; with OAuth, an installation's token.
    """
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    client = MeteredWebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def make_workspaces(
    settings: Settings, db: Database, make: Callable[[str | None], WebClient] | None = None
) -> Workspaces:
    """Each workspace's client: the bot token's, or (OAuth) each installation's."""
    make = make or (lambda token: make_client(settings, token))
    if not settings.oauth:
        assert settings.slack_bot_token is not None
        return Workspaces(make, token=settings.slack_bot_token.get_secret_value())
    return Workspaces(make, store=_stores(settings, db)[0])


def _stores(
    settings: Settings, db: Database
) -> tuple[installations.EncryptedInstallationStore, SQLAlchemyOAuthStateStore]:
    assert settings.slack_client_id is not None
    keys = [key.get_secret_value() for key in settings.mentor_token_key]
    return installations.stores(settings.slack_client_id, db.engine, keys)


def _page_translator(request: BoltRequest, default_language: str) -> Translator:
    """The browser's language (Accept-Language), else the programme's default."""
    accept = request.headers.get("accept-language") or [""]
    return translator(install_pages.browser_language(accept[0], default_language))


class TranslatedOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow with our own install page, translated."""

    def __init__(self, *, default_language: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_language = default_language

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        """The /slack/install page around Slack's authorize URL."""
        return install_pages.install_page(_page_translator(request, self.default_language), url)


def _install_outcome_pages(default_language: str) -> CallbackOptions:
    """The pages Slack's redirect back lands on, translated (Bolt's are English only)."""

    def page(status: int, body: str, settings: OAuthSettings) -> BoltResponse:
        return BoltResponse(
            status=status,
            body=body,
            headers={
                "Content-Type": "text/html; charset=utf-8",
                # The state cookie has done its job either way.
                "Set-Cookie": settings.state_utils.build_set_cookie_for_deletion(),
            },
        )

    def installed(args: SuccessArgs) -> BoltResponse:
        found = args.installation
        if found.is_enterprise_install or not (found.team_id and found.app_id):
            open_url = "slack://open"
        else:
            open_url = f"slack://app?team={found.team_id}&id={found.app_id}"
        t = _page_translator(args.request, default_language)
        return page(200, install_pages.installed_page(t, found.team_name, open_url), args.settings)

    def not_installed(args: FailureArgs) -> BoltResponse:
        # The reason can come from the query string: quoted and cut, it cannot forge a line.
        log.info("Installation not completed: %r", args.reason[:64])
        t = _page_translator(args.request, default_language)
        body = install_pages.failed_page(t, args.reason, args.settings.install_path)
        return page(args.suggested_status_code, body, args.settings)

    return CallbackOptions(success=installed, failure=not_installed)


def _oauth_flow(
    settings: Settings, db: Database
) -> tuple[OAuthFlow, installations.EncryptedInstallationStore]:
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    store, states = _stores(settings, db)
    flow = TranslatedOAuthFlow(
        default_language=settings.mentor_default_language,
        # oauth.v2.access goes to SLACK_API_URL too (the stand-in in tests).
        client=MeteredWebClient(base_url=settings.slack_api_url, timeout=10),
        settings=OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=store,
            state_store=states,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            callback_options=_install_outcome_pages(settings.mentor_default_language),
        ),
    )
    return flow, store


def build_app(
    settings: Settings,
    db: Database,
    client: WebClient | None = None,
    *,
    catalog: CatalogDef | None = None,
) -> App:
    """The Bolt app, wired to the database and the Slack Web API at `settings.slack_api_url`.

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, Bolt runs the OAuth install flow at
    /slack/install and authorises each request with its workspace's installation.
    """
    # The catalog is written by `mentor-bot migrate`, never here: replicas starting
    # together must not race to insert the same rows (serve checks it is in sync).
    catalog = catalog or load_catalog(settings.mentor_skills_file)
    oauth: dict[str, Any] = {}
    if settings.oauth:
        flow, store = _oauth_flow(settings, db)
        oauth = {"oauth_flow": flow, "installation_store": store}
        client = make_client(settings)  # no token: Bolt gives each request its own
        workspaces = Workspaces(lambda token: make_client(settings, token), store=store)
        users = UserDirectory.from_settings(workspaces.current, settings)
    else:
        client = client or make_client(settings)
        users = UserDirectory.from_settings(client, settings)
    deps = Deps(settings=settings, db=db, catalog=catalog, users=users)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # Ack first, work after: listeners run on Bolt's thread pool once they ack.
        process_before_response=False,
        logger=logging.getLogger("bot.bolt"),
        # Listeners run in the request's context, so their log lines carry its correlation id.
        listener_executor=ContextExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix=LISTENER_THREAD_PREFIX
        ),
        **oauth,
    )
    if settings.oauth:
        # app_uninstalled and tokens_revoked delete the workspace's installation.
        app.enable_token_revocation_listeners()
        known: set[tuple[str, str]] = set()

        @app.use
        def remember_organisation(context: BoltContext, next: Callable[[], BoltResponse]) -> Any:
            """Note each Grid workspace's organisation once: the dispatcher, which only
            knows the workspace, finds an organisation-wide installation through it."""
            pair = (context.team_id, context.enterprise_id)
            if pair[0] and pair[1] and pair not in known:
                installations.remember_organisation(db.engine, pair[0], pair[1])
                known.add((pair[0], pair[1]))
            return next()

    @app.use
    def with_context(
        context: BoltContext, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> Any:
        """Give every request a correlation id and the app's dependencies."""
        context["correlation_id"] = new_correlation_id()
        # Bolt makes a plain WebClient per request: ours counts failed calls in /metrics.
        given = context.client
        if given is not None and not isinstance(given, MeteredWebClient):
            context["client"] = MeteredWebClient(
                token=given.token,
                base_url=given.base_url,
                timeout=given.timeout,
                ssl=given.ssl,
                proxy=given.proxy,
                headers=given.headers,
                logger=given.logger,
                retry_handlers=given.retry_handlers,
            )
        # For every log line of this request, here and in the listener's thread (which
        # copies the context). Bolt runs the listener after this returns, so these are not
        # reset here: the server clears them when the next request starts (bot/web.py).
        CORRELATION_ID.set(context["correlation_id"])
        CURRENT_TEAM.set(team_of(context))
        context["deps"] = deps
        context["ack"] = StickyAck()
        # Answers to response_url over a kept-alive connection (Bolt's opens one per answer).
        context["respond"] = KeepAliveRespond(
            response_url=context.response_url,
            proxy=context.client.proxy if context.client is not None else None,
            ssl=context.client.ssl if context.client is not None else None,
        )
        return next()

    @app.use
    def dedupe_events(body: dict[str, Any], next: Callable[[], BoltResponse]) -> Any:
        """Process each event id once; Slack retries events and Bolt does not dedupe."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with db.sessions.begin() as session:
                if not claim_event(str(event_id)[:64], session=session):
                    log.info("Skipping event %s: already processed", event_id)
                    return BoltResponse(status=200, body="")
        return next()

    register_all(app)

    @app.error
    def on_error(
        error: Exception,
        body: dict[str, Any],
        context: BoltContext,
        response: BoltResponse | None,
        client: WebClient,
    ) -> None:
        """Answer domain refusals; log anything else with a correlation id and apologise."""
        ref = context.get("correlation_id") or new_correlation_id()
        kind = body.get("type") or ("slash_command" if "command" in body else "unknown")
        refusal = _refusal_message(error, translator(_language(settings, body, context)))
        if refusal is not None:
            # Expected: a stale button, a second press, someone else's pair. Nothing was written.
            log.info("Refused %s [ref=%s]: %s", kind, ref, error)
            if context.respond is not None:
                context.respond(
                    response_type="ephemeral", replace_original=False, **refusal.as_kwargs()
                )
            return
        if isinstance(error, SlackApiError):
            log.error(
                "Slack API error while handling %s [ref=%s]: %s",
                kind,
                ref,
                error.response.get("error"),
            )
        else:
            # No request body here: it may hold someone's free text.
            log.error("Unhandled error while handling %s [ref=%s]", kind, ref, exc_info=error)
        _tell_user(settings, body, context, response, client, ref, error)

    return app


def _refusal_message(error: Exception, t: Translator) -> Message | None:
    if isinstance(error, pairing.PairRefused):
        return pair_refused(t, error.reason)
    if isinstance(error, pairing.RoundRefused):
        return round_refused(t, error.reason)
    if isinstance(error, MeetingRefused):
        return meeting_refused(t, error.reason)
    return None


def _language(settings: Settings, body: dict[str, Any], context: BoltContext) -> str:
    view = body.get("view") or {}
    if view.get("private_metadata"):
        return ModalMeta.parse(view["private_metadata"], settings.mentor_default_language).language
    deps: Deps | None = context.get("deps")
    if deps is not None and context.user_id:
        try:
            return deps.users.language(str(context.user_id))
        except Exception:
            log.debug("No language for the apology; using the default")
    return settings.mentor_default_language


def _tell_user(
    settings: Settings,
    body: dict[str, Any],
    context: BoltContext,
    response: BoltResponse | None,
    client: WebClient,
    ref: str,
    error: Exception,
) -> None:
    if body.get("type") == "event_callback":
        # Nobody asked for anything: an unprompted apology DM (repeated on each of Slack's
        # retries) would only confuse. The log line carries the reference.
        return
    t = translator(_language(settings, body, context))
    trigger_failed = (
        isinstance(error, SlackApiError) and error.response.get("error") in TRIGGER_ERRORS
    )
    message = messages.slack_error(t, ref) if trigger_failed else messages.apology(t, ref)
    not_yet_acked = response is not None
    try:
        if not_yet_acked and body.get("type") == "view_submission":
            # Push an apology on top of the modal: closing it returns to the form with
            # everything the person typed still there.
            assert response is not None
            response.status = 200
            response.body = apology_view(t, message)
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
        if not_yet_acked and "command" in body:
            assert response is not None
            response.status = 200
            response.body = json.dumps({"response_type": "ephemeral", **message.as_kwargs()})
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
        if context.respond is not None and (body.get("response_url") or body.get("response_urls")):
            context.respond(
                response_type="ephemeral", replace_original=False, **message.as_kwargs()
            )
        elif context.user_id:
            client.chat_postMessage(channel=str(context.user_id), **message.as_kwargs())
    except Exception:
        log.warning("Could not deliver the apology [ref=%s]", ref, exc_info=True)
