"""/me: the caller's own profile and the cases they reported."""

from ninja import Query, Router

from .auth import SIGNED_IN
from .cases import CaseFilters, list_cases_from
from .errors import responses
from .schemas import CasePage, MeOut

router = Router(tags=["me"], auth=SIGNED_IN)


@router.get("", response=responses({200: MeOut}), summary="Who am I")
def read_me(request):
    caller, user = request.auth, request.auth.user
    token = caller.token
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "role": user.role,
        "departments": list(user.departments.values_list("code", flat=True)),
        "preferred_language": user.preferred_language,
        "preferred_channel": user.preferred_channel,
        "token": None
        if token is None
        else {
            "name": token.name,
            "kind": token.kind,
            "scope": token.scope,
            "departments": list(token.departments.values_list("code", flat=True)),
            "expires_at": token.expires_at,
        },
    }


@router.get("/cases", response=responses({200: CasePage}), summary="Cases I reported")
def list_my_cases(request, filters: Query[CaseFilters]):
    """The cases the caller reported (for staff: those of them they may also see as staff)."""
    return list_cases_from(request, request.auth.cases().filter(reporter=request.auth.user), filters)
