"""What the contact form says around its questions (flows.contact_form).

Its introduction, that the survey takes no contact requests, that the respondent
declined, and that the request was created (with the stored request's reference, which
the dispatcher fills in).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.replies import Reply


@dataclass(frozen=True)
class ContactFormIntro(Reply):
    pass


@dataclass(frozen=True)
class ContactUnavailable(Reply):
    pass


@dataclass(frozen=True)
class ContactDeclined(Reply):
    pass


@dataclass(frozen=True)
class ContactWithdrawnNotice(Reply):
    """The contact request made by 立即联系 is withdrawn: the answer no longer asks for it."""


@dataclass(frozen=True)
class ContactStillOpen(Reply):
    """Question 14 answered without 立即联系 while a request made through "联系我" is still
    open: it stands (the dispatcher fills in its reference), so the answer is not taken for
    "do not contact me"."""

    reference: str


@dataclass(frozen=True)
class ContactCreated(Reply):
    reference: str | None = None  # the dispatcher fills in the stored request's
    # An open request of theirs took the new details instead of a second request.
    updated: bool = False
