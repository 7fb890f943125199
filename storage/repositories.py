"""The data-access functions the dispatcher and staff commands call, in one place.

Every function takes `*, session` and never commits: the caller owns the transaction
(`storage.db.transaction` / `run_in_transaction`), one per inbound message. The
functions live in small modules by subject; this module only gathers them.
"""

from storage.aggregates import free_texts, question_stats, recount
from storage.answers import apply_effects
from storage.audit import audit, recent_audit
from storage.consistency import verify
from storage.contacts import (
    ContactNotFound,
    ContactStateError,
    claim_contact,
    contact_details,
    contacts_due_for_renotify,
    count_open_contacts,
    find_contact,
    finish_contact,
    mark_contact_notified,
    open_contacts,
)
from storage.inbound import (
    ClaimedMessage,
    claim_inbound,
    save_reply,
    stored_reply,
)
from storage.kv import kv_delete, kv_get, kv_set
from storage.models import (
    AuditLog,
    ContactRequest,
    Outbox,
    ProcessedMessage,
    Respondent,
    SurveySession,
)
from storage.outbox import (
    claim_due,
    enqueue,
    failed_items,
    mark_failed,
    mark_sent,
    payload,
    update_payload,
)
from storage.respondents import (
    RespondentRow,
    SessionRow,
    latest_session_row,
    load_session_row,
    load_state,
    lock_respondent,
    save_session_row,
    set_respondent_active,
    subscribed_respondents,
    update_respondent,
)
from storage.retention import prune_processed

__all__ = [
    "AuditLog",
    "ClaimedMessage",
    "ContactRequest",
    "Outbox",
    "ProcessedMessage",
    "Respondent",
    "RespondentRow",
    "SessionRow",
    "SurveySession",
    "ContactNotFound",
    "ContactStateError",
    "apply_effects",
    "audit",
    "claim_contact",
    "claim_due",
    "claim_inbound",
    "contact_details",
    "contacts_due_for_renotify",
    "count_open_contacts",
    "enqueue",
    "failed_items",
    "find_contact",
    "finish_contact",
    "free_texts",
    "kv_delete",
    "kv_get",
    "kv_set",
    "latest_session_row",
    "load_session_row",
    "load_state",
    "lock_respondent",
    "mark_contact_notified",
    "mark_failed",
    "mark_sent",
    "open_contacts",
    "payload",
    "prune_processed",
    "question_stats",
    "recent_audit",
    "recount",
    "save_reply",
    "save_session_row",
    "set_respondent_active",
    "stored_reply",
    "subscribed_respondents",
    "update_payload",
    "update_respondent",
    "verify",
]
