"""Shared vocabulary of the access matrix."""

ROLES = ("anon", "student", "coordinator", "host", "pending_host", "official", "admin")
OK, LOGIN, FORBIDDEN = "ok", "login", "forbidden"


def public():
    return dict.fromkeys(ROLES, OK)


def logged_in():
    return {role: (LOGIN if role == "anon" else OK) for role in ROLES}


def only(*roles):
    return {
        role: (LOGIN if role == "anon" else OK if role in roles else FORBIDDEN) for role in ROLES
    }
