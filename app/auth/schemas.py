from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import Strict
from app.core.types import Email, Id, Name, OutDatetime, Password, Text
from app.models.enums import Language, Network, Role

FollowerCounts = dict[Network, Annotated[int, Field(ge=0, le=1_000_000_000)]]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class UserRead(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    group_ids: list[str]
    topic_ids: list[str]
    follower_counts: dict[str, int] = Field(description="Followers per network, for reach.")
    leaderboard_opt_out: bool
    language: Language | None = Field(
        description="The pages' language; null: the browser's Accept-Language decides.")
    reminders_opt_out: bool
    policy_accepted_version: str | None = Field(
        description="The sharing-policy version this user accepted last.")
    active: bool
    created_at: OutDatetime


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: OutDatetime
    user: UserRead


class MeUpdate(Strict):
    name: Name | None = None
    topic_ids: list[Id] | None = Field(None, max_length=200)
    follower_counts: FollowerCounts | None = Field(
        None, description="Merged into the stored counts; networks not named are kept."
    )
    leaderboard_opt_out: bool | None = None
    language: Language | None = Field(
        None, description="`en` or `th`; null: follow the browser's Accept-Language.")
    reminders_opt_out: bool | None = None
    password: Password | None = None


class UserCreate(Strict):
    email: Email
    name: Name
    role: Role = Role.advocate
    password: Password | None = Field(None, description="Without one the user cannot sign in yet.")
    group_ids: list[Id] = Field(default_factory=list, max_length=200)
    topic_ids: list[Id] = Field(default_factory=list, max_length=200)


class UserUpdate(Strict):
    name: Name | None = None
    email: Email | None = None
    role: Role | None = None
    group_ids: list[Id] | None = Field(None, max_length=200, description="Replaces the groups.")
    topic_ids: list[Id] | None = Field(None, max_length=200)
    password: Password | None = None
    active: bool | None = None


class ImportResult(BaseModel):
    created: int
    updated: int
    users: list[UserRead]


class GroupCreate(Strict):
    name: Name
    description: Text | None = None


class GroupUpdate(Strict):
    name: Name | None = None
    description: Text | None = None


class GroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str | None


class ApiKeyCreate(Strict):
    name: Name
    scopes: list[Annotated[str, Field(pattern=r"^(conversions:write|read)$")]] = Field(
        min_length=1, max_length=2, description="`conversions:write` and/or `read`."
    )


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    scopes: list[str]
    created_at: OutDatetime


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="Shown this once; only its hash is stored.")
