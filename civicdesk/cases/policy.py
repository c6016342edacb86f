"""The policy version, and the per-process caches of policy that compare against it.

Every change to a model of policy (services and their questions, departments, routing rules,
calendars, service levels, webhook subscriptions) gives the version row a new random token in the
change's own transaction (Django's model signals, so the admin, the API and scripts are all
covered). Each process's caches (`lib.policycache.PolicyCache`) compare the token at most every
POLICY_REFRESH_SECONDS and rebuild when it moved; this process's own caches are cleared at once
and again on commit. Changes made with `QuerySet.update()` or raw SQL send no signal: call
`changed()` after them.
"""

import uuid

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from civicdesk.lib.policycache import PolicyCache

from .models import PolicyVersion

ROW = "policy"
_caches = []


def version():
    """The current token (None before the first change): one indexed read."""
    table = connection.ops.quote_name(PolicyVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} WHERE name = %s", [ROW])  # noqa: S608 - model's table
        row = cursor.fetchone()
    return row[0] if row else None


def cache(name, load):
    """A PolicyCache of `load()` checked against the policy version, cleared with every change here."""
    policy_cache = PolicyCache(name, load, version)
    _caches.append(policy_cache)
    return policy_cache


def caches():
    """Every policy cache of this process (for metrics: each has `hits` and `misses`)."""
    return list(_caches)


def clear_local():
    for policy_cache in _caches:
        policy_cache.clear()


def changed(**_signal_kwargs):
    """Record a change of policy: a new token in the caller's transaction; this process forgets
    its copies at once and again on commit (a read in between would cache the uncommitted state)."""
    # Fixtures loaded (raw saves) change the live policy too: recorded like any other change.
    token = uuid.uuid4().hex
    if not PolicyVersion.objects.filter(pk=ROW).update(token=token):
        PolicyVersion.objects.update_or_create(pk=ROW, defaults={"token": token})
    clear_local()
    transaction.on_commit(clear_local, robust=True)


def watch(*models):
    """Count every save and delete of `models`, and changes to their many-to-many lists, as a change
    of policy. Called from the apps' `ready()`."""
    for model in models:
        label = model._meta.label_lower
        post_save.connect(changed, sender=model, dispatch_uid=f"policy-saved-{label}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"policy-deleted-{label}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(changed, sender=through, dispatch_uid=f"policy-m2m-{label}-{field.name}")
