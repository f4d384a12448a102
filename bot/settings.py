"""Typed settings from the environment and a `.env` file (PRODUCT.md §5).

Settings are built once at start-up (`Settings()`) and passed in; nothing here
reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DIALOGS_DIR = Path(__file__).resolve().parent.parent / "dialogs"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./laeringsbot.db"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"

    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    teams_openid_metadata_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
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
    # How often the clock looks for due work (nudges, follow-ups, unsent messages).
    clock_interval_seconds: float = 30.0
    # How many people's or channels' messages the outbox sends at once. Each lane keeps its
    # own order; more lanes overlap more of the platform's latency when many channels are
    # due together (meeting reminders), so the platform's rate limits, not this, set the pace.
    outbox_lanes: int = Field(default=32, ge=1, le=256)

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def teams_configured(self) -> bool:
        return bool(self.microsoft_app_id and self.microsoft_app_password)

    @property
    def serves_playground(self) -> bool:
        return self.playground or not (self.slack_configured or self.teams_configured)
