"""Prompt templates and their immutable versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class PromptTemplate(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A named template; its content lives in versions, the newest being current."""

    __tablename__ = "authoring_prompt_templates"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))


class PromptTemplateVersion(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """One version of a template; never changed once written, so modules can name it."""

    __tablename__ = "authoring_prompt_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    template_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_prompt_templates.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    instructions: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(500), default="")
    tone: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(50), default="")
    length: Mapped[str] = mapped_column(String(20), default="")
    question_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    question_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
