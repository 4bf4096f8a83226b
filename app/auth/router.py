"""Sign-in, the caller's profile, users, API keys and groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from app.auth import groups as groups_service
from app.auth import service as auth_service
from app.auth import users as users_service
from app.auth.access import AdminOnly, CurrentUser, ManagerOnly
from app.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    GroupCreate,
    GroupRead,
    GroupUpdate,
    ImportResult,
    LoginRequest,
    LoginResponse,
    MeUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.auth.sessions import clear_session_cookies, set_session_cookies, sign_in
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.core.slices import json_array
from app.models.enums import Role

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute)
NO_CONTENT = Response(status_code=204)


@router.post("/auth/login", response_model=LoginResponse, tags=["auth"])
async def login(body: LoginRequest, request: Request, response: Response,
                session: DbSession) -> LoginResponse:
    """Sign in: a bearer token in the body and the `chorus_session` cookie for the pages."""
    state = request.app.state
    secret = await state.secret_key(session)
    new = await sign_in(session, request, email=body.email, password=body.password,
                        secret_key=secret)
    set_session_cookies(response, new, secret_key=secret, secure=state.settings.secure_cookies)
    return LoginResponse(access_token=new.token, expires_at=new.expires_at,
                         user=await users_service.read_one(session, new.user))


@router.post("/auth/logout", status_code=204, response_class=Response, tags=["auth"])
async def logout(user: CurrentUser, request: Request, session: DbSession) -> Response:
    """End this session (token and cookie)."""
    await auth_service.logout(session, token_hash_value=request.state.principal.token_hash)
    response = Response(status_code=204)
    clear_session_cookies(response)
    return response


@router.get("/me", response_model=UserRead, tags=["me"])
async def read_me(user: CurrentUser, session: DbSession) -> UserRead:
    """The signed-in user."""
    return await users_service.read_one(session, user)


@router.patch("/me", response_model=UserRead, tags=["me"])
async def update_me(body: MeUpdate, user: CurrentUser, request: Request,
                    session: DbSession) -> UserRead:
    """Change your name, topics, follower counts, leaderboard opt-out or password."""
    await users_service.update(session, user, body.model_dump(exclude_unset=True),
                               keep_token_hash=request.state.principal.token_hash)
    return await users_service.read_one(session, user)


@router.post("/users", response_model=UserRead, status_code=201, tags=["users"])
async def create_user(body: UserCreate, _admin: AdminOnly, session: DbSession) -> UserRead:
    """Create a user."""
    user = await users_service.create(session, **body.model_dump())
    return await users_service.read_one(session, user)


@router.get("/users", response_model=Page[UserRead], tags=["users"])
async def list_users(_admin: AdminOnly, session: DbSession, limit: Limit = 50,
                     cursor: Cursor = None, role: Annotated[Role | None, Query()] = None,
                     active: Annotated[bool | None, Query()] = None) -> Page[UserRead]:
    """Users, oldest first."""
    users, next_cursor = await users_service.list_users(
        session, limit=limit, cursor=cursor, role=role, active=active
    )
    return Page(items=await users_service.to_read(session, users), next_cursor=next_cursor)


@router.post("/users/import", response_model=ImportResult, tags=["users"])
async def import_users(
    _admin: AdminOnly, session: DbSession,
    csv_text: Annotated[str, Body(media_type="text/csv", max_length=5 * 1024 * 1024,
                                  description="CSV with the header email,name,role,group.")],
) -> Response:
    """Create or update users from CSV, all rows or none (per-row errors on failure)."""
    users, created, updated = await users_service.import_csv(session, csv_text)
    # An ImportResult of thousands of users, serialised a slice at a time, not by FastAPI
    # in one go (app.core.slices).
    users_json = await json_array(await users_service.to_read(session, users))
    return Response(b'{"created":%d,"updated":%d,"users":%s}' % (created, updated, users_json),
                    media_type="application/json")


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
async def read_user(user_id: str, _admin: AdminOnly, session: DbSession) -> UserRead:
    """One user."""
    return await users_service.read_one(session, await users_service.get_or_raise(session, user_id))


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
async def update_user(user_id: str, body: UserUpdate, _admin: AdminOnly,
                      session: DbSession) -> UserRead:
    """Change a user; `group_ids` replaces their groups, `active: false` deactivates."""
    user = await users_service.get_or_raise(session, user_id)
    await users_service.update(session, user, body.model_dump(exclude_unset=True))
    return await users_service.read_one(session, user)


@router.delete("/users/{user_id}", status_code=204, response_class=Response, tags=["users"])
async def deactivate_user(user_id: str, _admin: AdminOnly, session: DbSession) -> Response:
    """Deactivate a user; their history is kept."""
    await users_service.deactivate(session, await users_service.get_or_raise(session, user_id))
    return NO_CONTENT


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, tags=["api-keys"])
async def create_api_key(body: ApiKeyCreate, _admin: AdminOnly,
                         session: DbSession) -> ApiKeyCreated:
    """Create an API key; the key is in this response only."""
    record, key = await auth_service.create_api_key(session, name=body.name, scopes=body.scopes)
    return ApiKeyCreated(id=record.id, name=record.name, scopes=record.scopes,
                         created_at=record.created_at, key=key)


@router.get("/api-keys", response_model=Page[ApiKeyRead], tags=["api-keys"])
async def list_api_keys(_admin: AdminOnly, session: DbSession, limit: Limit = 50,
                        cursor: Cursor = None) -> Page[ApiKeyRead]:
    """Active API keys, oldest first (never the keys themselves)."""
    keys, next_cursor = await auth_service.list_api_keys(session, limit=limit, cursor=cursor)
    return Page(items=[ApiKeyRead.model_validate(k) for k in keys], next_cursor=next_cursor)


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response, tags=["api-keys"])
async def revoke_api_key(key_id: str, _admin: AdminOnly, session: DbSession) -> Response:
    """Revoke an API key at once."""
    await auth_service.revoke_api_key(session, key_id=key_id)
    return NO_CONTENT


@router.post("/groups", response_model=GroupRead, status_code=201, tags=["groups"])
async def create_group(body: GroupCreate, _manager: ManagerOnly, session: DbSession) -> GroupRead:
    """Create a group; names are unique."""
    group = await groups_service.create(session, name=body.name, description=body.description)
    return GroupRead.model_validate(group)


@router.get("/groups", response_model=Page[GroupRead], tags=["groups"])
async def list_groups(_manager: ManagerOnly, session: DbSession, limit: Limit = 50,
                      cursor: Cursor = None) -> Page[GroupRead]:
    """Groups by name."""
    groups, next_cursor = await groups_service.list_groups(session, limit=limit, cursor=cursor)
    return Page(items=[GroupRead.model_validate(g) for g in groups], next_cursor=next_cursor)


@router.get("/groups/{group_id}", response_model=GroupRead, tags=["groups"])
async def read_group(group_id: str, _manager: ManagerOnly, session: DbSession) -> GroupRead:
    """One group."""
    return GroupRead.model_validate(await groups_service.get_or_raise(session, group_id))


@router.patch("/groups/{group_id}", response_model=GroupRead, tags=["groups"])
async def update_group(group_id: str, body: GroupUpdate, _manager: ManagerOnly,
                       session: DbSession) -> GroupRead:
    """Rename or describe a group."""
    group = await groups_service.get_or_raise(session, group_id)
    await groups_service.update(session, group, body.model_dump(exclude_unset=True))
    return GroupRead.model_validate(group)


@router.delete("/groups/{group_id}", status_code=204, response_class=Response, tags=["groups"])
async def delete_group(group_id: str, _manager: ManagerOnly, session: DbSession) -> Response:
    """Delete a group; its members stay."""
    await groups_service.delete(session, await groups_service.get_or_raise(session, group_id))
    return NO_CONTENT
