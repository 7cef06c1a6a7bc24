"""Admins create, deactivate and reactivate users, and read the audit log."""

from __future__ import annotations

from sqlalchemy import select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.extensions import db
from tests.factories import PASSWORD, UserFactory


def test_admin_creates_user_of_any_role(client, auth):
    auth.as_role("admin")
    for role in Role:
        response = client.post(
            "/admin/users/new",
            data={
                "full_name": f"Person {role.value}",
                "email": f"{role.value}@Example.org",
                "role": role.value,
                "locale": "fr",
                "password": "a-long-enough-password",
                "confirm": "a-long-enough-password",
            },
        )
        assert response.status_code == 302, role
        user = db.session.scalar(select(User).where(User.email == f"{role.value}@example.org"))
        assert user.role is role and not user.is_pending


def test_admin_create_user_refuses_bad_role_and_duplicates(client, auth):
    auth.as_role("admin")
    UserFactory(email="taken@example.org")
    base = {
        "full_name": "X",
        "locale": "fr",
        "password": "a-long-enough-password",
        "confirm": "a-long-enough-password",
    }
    assert (
        client.post(
            "/admin/users/new", data=base | {"email": "n@example.org", "role": "god"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/admin/users/new", data=base | {"email": "TAKEN@example.org", "role": "student"}
        ).status_code
        == 200
    )
    assert db.session.scalar(select(User).where(User.email == "n@example.org")) is None


def test_deactivate_and_reactivate(client, auth, app):
    admin = auth.as_role("admin")
    user = UserFactory(role=Role.student)
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not user.active
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    assert client.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert user.active
    assert other.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target_id == user.id, AuditEvent.actor_id == admin.id
        )
    ).all()
    assert "user.deactivate" in actions and "user.activate" in actions


def test_admin_cannot_deactivate_self(client, auth):
    admin = auth.as_role("admin")
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "propre compte" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active


def test_audit_log_lists_logins_and_filters(client, auth):
    auth.as_role("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "auth.login" in page
    filtered = client.get("/admin/audit?action=cohort.").get_data(as_text=True)
    assert "auth.login" not in filtered


def test_user_list_search(client, auth):
    auth.as_role("admin")
    UserFactory(email="needle@example.org", full_name="Nadia Needle")
    UserFactory(email="hay@example.org", full_name="Hamid Hay")
    page = client.get("/admin/users?q=needle").get_data(as_text=True)
    assert "needle@example.org" in page and "hay@example.org" not in page
