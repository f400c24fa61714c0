"""Abuse monitoring: an encrypted, per-region, at most 30-day store of gateway requests, opt-out, automated
flagging, and human review with just-in-time access that the customer can see in full.

    recorder.py   the pipeline's Recorder: a bounded queue drained by a background thread
    service.py    records (content sealed under a per-organization, per-day key), policy, opt-out, purge
    flagging.py   rules over recent metadata that raise flags
    review.py     reviewer queue, access requests, grants, content reads, outcomes; customer transparency
    router.py     REST: /api/monitoring (organization admins), /api/platform/monitoring (staff)
"""
