"""Typed settings from the environment and a `.env` file (PRODUCT.md §5).

Settings are built once at start-up (`Settings()`) and passed in; nothing here
reads the environment at import time.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DIALOGS_DIR = Path(__file__).resolve().parent.parent / "dialogs"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./laeringsbot.db"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Many workspaces: the app's client id and secret, without a bot token. Each workspace installs
    # it through GET /slack/install ("Add to Slack"); its bot token is kept in the database.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None

    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    teams_openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"

    bot_host: str = "127.0.0.1"
    port: int = 3000
    bot_timezone: str = "Europe/Copenhagen"
    bot_language: str = Field(default="da", pattern="^(da|en)$")

    # The local playground serves by itself without platform credentials; PLAYGROUND=1
    # serves it beside them (never in production by accident).
    playground: bool = False

    dialogs_dir: Path = DEFAULT_DIALOGS_DIR
    # How long after the start the after-course phase begins by itself.
    followup_days: int = 30
    # When a learning visit ends, local time (VISIT_HALF_DAY_END=12:00); a time in the command wins.
    visit_half_day_end: time = time(12, 0)
    visit_full_day_end: time = time(15, 0)
    # Optional Danish days off the workplace keeps free, besides the public holidays: comma-
    # separated of 1maj, grundlovsdag, juleaften, nytaarsaften. No meeting, reminder or
    # check-in falls on them, and working days are counted without them.
    optional_days_off: str = ""
    # How often the clock looks for due flow work (nudges, follow-ups, reminders). Requests and
    # messages do not wait for it: they are handled as they come and retried at their own time.
    clock_interval_seconds: float = 30.0
    # Finished contracts (closed, cancelled, declined, done) are deleted this many months after
    # they finished, by a job that runs once a day (bot/flows/personal.py).
    retention_months: int = Field(default=36, ge=1)

    # Files the bot gives people (copies, data exports): kept, and their Teams/playground
    # links valid, this many hours.
    file_hours: int = Field(default=24, ge=1)
    # The key that signs download links; without it the bot makes one and keeps it in the database.
    file_link_secret: str | None = None
    # Where people reach this server (for download links), e.g. https://laeringsbot.example.org;
    # default http://BOT_HOST:PORT.
    public_url: str | None = None
    # Platform user ids (Slack U…, Teams 29:…), comma-separated, who may use `/laering admin`.
    admin_user_ids: str = ""
    # How many people's or channels' messages the outbox sends at once. Each lane keeps its
    # own order; more lanes overlap more of the platform's latency when many channels are
    # due together (meeting reminders), so the platform's rate limits, not this, set the pace.
    outbox_lanes: int = Field(default=32, ge=1, le=256)
    # Slack keeps a workspace-wide limit on posting that it does not publish; where it is known
    # (Slack's support, or a grid's own), the bot keeps under it instead of meeting 429s.
    # 0: only the published per-channel pace (and Slack's 429s) set it.
    slack_workspace_posts_per_second: float = Field(default=0.0, ge=0.0)
    # Keep the platforms' published limits before sending (bot/workers/pace.py). Off only for
    # rigs whose simulated people answer faster than anyone types (the tests, the benchmarks
    # of the bot's own speed): a DM then gets more than Slack's one post a second.
    outbox_pace: bool = True

    # Logs: `text` (a line each) or `json` (an object a line, for a log collector); both carry the
    # request or event a line belongs to. The level applies to the bot's own loggers and uvicorn's.
    log_format: str = Field(default="text", pattern="^(text|json)$")
    log_level: str = Field(default="INFO", pattern="^(?i:debug|info|warning|error)$")

    @field_validator("optional_days_off")
    @classmethod
    def _known_days_off(cls, value: str) -> str:
        from bot.core.workdays import optional_days

        optional_days(value)  # refuses an unknown name at the start, not at the first meeting
        return value

    @property
    def slack_configured(self) -> bool:
        return (
            bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token)) or self.slack_workspaces
        )

    @property
    def slack_workspaces(self) -> bool:
        """Many workspaces, each installed through OAuth. With SLACK_BOT_TOKEN set it is one
        workspace, as ever, whatever else is set."""
        return bool(
            not self.slack_bot_token and self.slack_client_id and self.slack_client_secret and self.slack_signing_secret
        )

    @property
    def many_workspaces(self) -> frozenset[str]:
        """The platforms whose people are seen only by those of their own workspace (their
        `team_id`): Slack in many workspaces. The flows ask this, never a platform's name."""
        return frozenset({"slack"}) if self.slack_workspaces else frozenset()

    @property
    def teams_configured(self) -> bool:
        return bool(self.microsoft_app_id and self.microsoft_app_password)

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.admin_user_ids.split(",") if part.strip())

    @property
    def link_base(self) -> str:
        return (self.public_url or f"http://{self.bot_host}:{self.port}").rstrip("/")

    @property
    def serves_playground(self) -> bool:
        return self.playground or not (self.slack_configured or self.teams_configured)
