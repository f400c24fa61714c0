"""Abuse monitoring errors.

TutelaError
├── NotFound
│   └── RecordNotFound            the request id has no monitoring record (or belongs elsewhere)
├── Conflict
│   ├── OptOutPending             an opt-out request is already waiting, or the organization opted out
│   ├── AlreadyDecided            the opt-out or access request was decided before
│   └── NotFlagged                the request id is not part of the flag: only flagged records are shown
├── PermissionDenied
│   ├── WrongJurisdiction         the reviewer's location is not the data's jurisdiction
│   ├── SameReviewer              a manager cannot approve their own access request
│   └── NoLiveGrant               no approved, unexpired grant of this reviewer covers the request id
└── Gone (410)
    └── ContentUnavailable        the content was purged, never stored (opt-out), or its day key destroyed
"""

from __future__ import annotations

from tutela.errors import Conflict, NotFound, PermissionDenied, TutelaError


class RecordNotFound(NotFound):
    """No monitoring record for this request id."""

    code = "not_found"


class OptOutPending(Conflict):
    """An opt-out is already requested or in force."""

    code = "opt_out_exists"


class AlreadyDecided(Conflict):
    """The request was approved or rejected already."""

    code = "already_decided"


class NotFlagged(Conflict):
    """Only records that are part of a flag may ever be shown to a person."""

    code = "not_flagged"


class WrongJurisdiction(PermissionDenied):
    """Data is reviewed only by staff located in its region's jurisdiction."""

    code = "wrong_jurisdiction"


class SameReviewer(PermissionDenied):
    """Four eyes: the approver must be another person."""

    code = "same_person"


class NoLiveGrant(PermissionDenied):
    """Content needs a live, approved grant of the reading reviewer for that request id."""

    code = "no_live_grant"


class ContentUnavailable(TutelaError):
    """There is no readable content (expired and purged, opted out, or its key destroyed)."""

    status_code = 410
    code = "content_unavailable"
