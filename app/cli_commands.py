"""The async bodies of CLI commands that touch the database."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from app.auth import users as users_service
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.core.config import get_settings
from app.core.db import Database
from app.core.errors import ChorusError
from app.core.types import Email, Name
from app.models.enums import Role


async def create_user(*, email: str, name: str, role: Role, password: str | None,
                      groups: list[str]) -> str:
    try:
        email = TypeAdapter(Email).validate_python(email)
        name = TypeAdapter(Name).validate_python(name)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from exc
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    settings = get_settings()
    db = Database(settings.database_url, tz=settings.tz)
    try:
        async with db.transaction() as session:
            group_ids = [(await users_service.group_by_name(session, g)).id for g in groups]
            try:
                user = await users_service.create(session, email=email, name=name, role=role,
                                                  password=password, group_ids=group_ids)
            except ChorusError as exc:
                raise ValueError(exc.detail) from exc
            return user.id
    finally:
        await db.dispose()
