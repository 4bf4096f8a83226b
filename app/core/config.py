"""Settings: every ``CHORUS_*`` variable of the contract, validated once at start."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from ipaddress import ip_network
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Env(StrEnum):
    dev = "dev"
    prod = "prod"


class ConfigError(RuntimeError):
    """The configuration is unsafe or impossible; the process must not start."""


_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "changethis", "dev", "test"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///./chorus.db", description="Any SQLAlchemy async URL."
    )
    redis_url: str | None = Field(None, description="Set: jobs go to arq on Redis.")
    base_url: str = Field("http://127.0.0.1:8000", description="Public origin of tracked links.")
    secret_key: SecretStr | None = Field(None, description="Signs cookies and CSRF tokens.")
    env: Env = Env.dev
    click_param: str = Field("chorus_cid", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    timezone: str = "UTC"
    smtp_url: str | None = None
    allow_private_webhooks: bool = False
    trusted_proxies: str | None = Field(
        None, description="Addresses or CIDRs whose X-Forwarded-For names the client.")
    metrics_token: SecretStr | None = Field(
        None, description="When set, /metrics needs 'Authorization: Bearer <token>'.")
    secret_key_previous: SecretStr | None = Field(
        None, description="Comma-separated former secret keys, still accepted to decrypt "
                          "stored tokens after a rotation.")
    x_bearer_token: SecretStr | None = Field(None, description="App token for X's API.")
    linkedin_client_id: str | None = Field(None, description="The LinkedIn app's client id.")
    linkedin_client_secret: SecretStr | None = Field(
        None, description="The LinkedIn app's client secret.")

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Accept the URLs people paste from elsewhere and give SQLAlchemy the async driver.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_base_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("CHORUS_BASE_URL must start with http:// or https://")
        return value

    @field_validator("redis_url", "smtp_url", "trusted_proxies", "metrics_token",
                     "secret_key_previous", "x_bearer_token", "linkedin_client_id",
                     "linkedin_client_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for entry in value.split(","):
            try:
                ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"CHORUS_TRUSTED_PROXIES: {entry.strip()!r} is not an "
                                 "address or CIDR") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def proxies(self) -> list[str]:
        """Who may name the client in X-Forwarded-For: the setting, else loopback in dev."""
        if self.trusted_proxies is not None:
            return [entry.strip() for entry in self.trusted_proxies.split(",")]
        return ["127.0.0.1", "::1"] if self.env is Env.dev else []

    @property
    def previous_secret_keys(self) -> list[str]:
        if self.secret_key_previous is None:
            return []
        return [k.strip() for k in self.secret_key_previous.get_secret_value().split(",")
                if k.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def check_for_serving(self, *, allow_sqlite: bool = False) -> None:
        """Refuse the unsafe combinations of CONTRACT §1 when ``CHORUS_ENV=prod``."""
        if self.env is not Env.prod:
            return
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if not secret:
            raise ConfigError("CHORUS_ENV=prod needs CHORUS_SECRET_KEY")
        if secret.lower() in _PLACEHOLDER_SECRETS or len(secret) < 32:
            raise ConfigError("CHORUS_SECRET_KEY must be a random value of at least 32 characters")
        if not self.base_url.startswith("https://"):
            raise ConfigError("CHORUS_ENV=prod needs an https:// CHORUS_BASE_URL")
        if self.is_sqlite and not allow_sqlite:
            raise ConfigError("CHORUS_ENV=prod refuses SQLite unless started with --allow-sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
