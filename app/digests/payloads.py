"""The weekly channel digest as Slack and Microsoft Teams incoming webhooks expect it.

Slack: ``{"text", "blocks"}`` with ``mrkdwn`` sections, where ``&``, ``<`` and ``>`` in our
text must be escaped as HTML entities (Slack reads ``<…>`` as links and mentions). Teams
(incoming webhooks and Workflows): a ``message`` with one Adaptive Card attachment, whose
``TextBlock`` text is Markdown, so the characters that would make links or emphasis out of a
title are escaped with a backslash. The channel digest is in English: a channel has no
language of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.digests.emails import DigestPost

Payload = dict[str, Any]
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\[]*_~`"})


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_escape(text: str) -> str:
    return text.translate(_MARKDOWN_SPECIAL)


def headline(total: int) -> str:
    return f"{total} new post{'' if total == 1 else 's'} to share this week"


def _more(total: int, listed: int) -> int:
    return max(0, total - listed)


def slack_message(posts: Sequence[DigestPost], *, total: int, app_url: str) -> Payload:
    """The digest as a Slack incoming-webhook message."""
    blocks: list[Payload] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(total)}}]
    for post in posts:
        text = f"*<{post.link}|{slack_escape(post.title or 'Untitled post')}>*"
        if post.summary:
            text += "\n" + slack_escape(post.summary)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    more = _more(total, len(posts))
    footer = (f"{more} more in <{app_url}|Chorus>" if more
              else f"Share them from <{app_url}|Chorus>")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": headline(total), "blocks": blocks}


def teams_message(posts: Sequence[DigestPost], *, total: int, app_url: str) -> Payload:
    """The digest as a Microsoft Teams message holding one Adaptive Card."""
    body: list[Payload] = [{"type": "TextBlock", "text": headline(total), "size": "Medium",
                            "weight": "Bolder", "wrap": True}]
    for post in posts:
        title = markdown_escape(post.title or "Untitled post")
        body.append({"type": "TextBlock", "text": f"[{title}]({post.link})",
                     "weight": "Bolder", "wrap": True, "spacing": "Medium"})
        if post.summary:
            body.append({"type": "TextBlock", "text": markdown_escape(post.summary),
                         "wrap": True, "isSubtle": True, "spacing": "None"})
    more = _more(total, len(posts))
    if more:
        body.append({"type": "TextBlock", "text": f"{more} more in Chorus", "wrap": True,
                     "spacing": "Medium"})
    card: Payload = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open Chorus", "url": app_url}],
        "msteams": {"width": "Full"},
    }
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": card}]}
