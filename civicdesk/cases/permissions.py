"""Who may do what to a case: one table, checked by views, APIs and actions alike.

A user who may not *see* a case gets the same answer as for a case that does not exist (404),
so nothing leaks about other departments' work.
"""

from django.core.exceptions import PermissionDenied

from civicdesk.accounts.models import Role

A, ST, SU, AD = Role.AGENT, Role.STAFF, Role.SUPERVISOR, Role.ADMIN

ACTION_ROLES = {
    "view": {A, ST, SU, AD},
    "acknowledge": {A, ST, SU, AD},
    "reply": {A, ST, SU, AD},
    "note": {A, ST, SU, AD},
    "attach": {A, ST, SU, AD},
    "change_status": {A, ST, SU, AD},
    "change_priority": {ST, SU, AD},
    "recategorise": {A, ST, SU, AD},
    "merge": {A, ST, SU, AD},
    "reopen": {A, ST, SU, AD},
    # record the case's id in another system (work orders)
    "link_external": {A, ST, SU, AD},
    # set the person working a case inside its department
    "assign": {ST, SU, AD},
    # take a case away from someone else, or send it to another department
    "reassign": {SU, AD},
    "transfer": {A, SU, AD},
    "view_contact": {A, SU, AD},
    "create_for_caller": {A, SU, AD},
}
STAFF_ACTIONS = sorted(ACTION_ROLES)
# Actions on the resident directory, not on a case. Its pages show contact details, so the roles
# are view_contact's; merging is for the same people, who call residents back.
DIRECTORY_ROLES = {
    "view_residents": ACTION_ROLES["view_contact"],
    "manage_residents": ACTION_ROLES["view_contact"],
}
ROLES = {**ACTION_ROLES, **DIRECTORY_ROLES}


def can_see(user, case):
    if not (user.is_authenticated and user.is_city_staff):
        return False
    if user.sees_all_departments:
        return True
    return case.department_id is not None and user.departments.filter(pk=case.department_id).exists()


def can(user, action, case=None):
    if not (user.is_authenticated and user.is_city_staff) or user.role not in ROLES[action]:
        return False
    return case is None or can_see(user, case)


def require(user, action, case=None):
    """For actions: `None` is the system (routing, SLA, import) and may do anything."""
    if user is not None and not can(user, action, case):
        raise PermissionDenied(f"{getattr(user, 'email', user)} may not {action} this case.")
