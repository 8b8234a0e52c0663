"""Roles: granted at the command line (the bootstrap) or by an admin, read from the database
on every request, never demoting the last admin; every change audited."""

from __future__ import annotations

import asyncio
import subprocess
from uuid import UUID

import asyncpg
import httpx
import pytest

from tests.support.accounts import new_account
from tests.support.problems import assert_problem
from tests.support.server import API, clean_environment
from tests.support.staff import ADMIN, new_staff, suspend


def api_users(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = clean_environment(DATABASE_URL=database_url)
    command = [API, "users", *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


async def test_the_first_admin_is_made_at_the_command_line_and_taken_back_there(
    client: httpx.AsyncClient, database_url: str
) -> None:
    account = await new_account(client)
    assert_problem(await client.get(f"{ADMIN}/audit-log", headers=account.headers), 403, "insufficient_role")

    granted = await asyncio.to_thread(api_users, database_url, "grant", account.email.upper(), "--role", "admin")

    assert (granted.returncode, granted.stdout) == (0, f"{account.email.upper()}: user -> admin (in the audit log)\n")
    # The same token, now an admin's: the role is read per request, not from the token.
    log = await client.get(f"{ADMIN}/audit-log", headers=account.headers)
    assert log.status_code == 200, log.text
    (entry,) = log.json()["data"]
    assert (entry["actor_id"], entry["actor_role"], entry["action"]) == (None, "operator", "account.role_changed")
    assert (entry["target_id"], entry["details"]) == (account.id, {"from": "user", "to": "admin"})
    assert entry["reason"] == "api users grant --role admin"
    again = await asyncio.to_thread(api_users, database_url, "grant", account.email, "--role", "admin")
    assert again.stdout == f"{account.email} is already admin: nothing changed\n"
    other = await asyncio.to_thread(api_users, database_url, "revoke", account.email, "--role", "moderator")
    assert other.stdout == f"{account.email} is admin, not moderator: nothing changed\n"
    # The last admin cannot be taken back, even by an operator.
    last = await asyncio.to_thread(api_users, database_url, "revoke", account.email, "--role", "admin")
    assert (last.returncode, last.stderr.split(":")[0]) == (1, "refused (last_admin)")
    second = await new_staff(client, database_url, "admin")
    revoked = await asyncio.to_thread(api_users, database_url, "revoke", account.email, "--role", "admin")
    assert (revoked.returncode, revoked.stdout) == (0, f"{account.email}: admin -> user (in the audit log)\n")
    assert_problem(await client.get(f"{ADMIN}/audit-log", headers=account.headers), 403, "insufficient_role")
    assert (await client.get(f"{ADMIN}/audit-log", headers=second.headers)).status_code == 200
    unknown = await asyncio.to_thread(api_users, database_url, "grant", "nobody@example.com", "--role", "admin")
    assert (unknown.returncode, unknown.stderr) == (1, "no account has the address nobody@example.com\n")


async def test_an_admin_changes_roles_and_a_demotion_takes_effect_at_once(
    client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await new_staff(client, database_url, "admin")
    member = await new_account(client)
    role_of_member = f"{ADMIN}/accounts/{member.id}/role"

    promoted = await client.put(
        role_of_member, json={"role": "moderator", "reason": "Helps out"}, headers=admin.headers
    )

    assert (promoted.status_code, promoted.json()["role"]) == (200, "moderator")
    assert (await client.get(f"{ADMIN}/accounts", headers=member.headers)).status_code == 200
    assert_problem(await client.get(f"{ADMIN}/audit-log", headers=member.headers), 403, "insufficient_role")
    same = await client.put(role_of_member, json={"role": "moderator", "reason": "again"}, headers=admin.headers)
    assert same.status_code == 200

    demoted = await client.put(role_of_member, json={"role": "user", "reason": "Stepped down"}, headers=admin.headers)

    assert demoted.status_code == 200
    assert_problem(await client.get(f"{ADMIN}/accounts", headers=member.headers), 403, "insufficient_role")
    log = (await client.get(f"{ADMIN}/audit-log", params={"target_id": member.id}, headers=admin.headers)).json()
    changes = [{k: v for k, v in entry["details"].items() if k != "credential"} for entry in log["data"]]
    assert changes == [{"from": "moderator", "to": "user"}, {"from": "user", "to": "moderator"}]
    assert all(entry["details"]["credential"].startswith("session:") for entry in log["data"])
    assert log["data"][0]["request_id"] == demoted.headers["x-request-id"]
    assert (log["data"][0]["actor_id"], log["data"][0]["actor_role"]) == (admin.id, "admin")
    invalid = await client.put(role_of_member, json={"role": "owner", "reason": "x"}, headers=admin.headers)
    assert_problem(invalid, 400, "validation_failed")


@pytest.mark.parametrize("rounds", [5])
async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    client: httpx.AsyncClient, database_url: str, rounds: int
) -> None:
    for _ in range(rounds):
        first = await new_staff(client, database_url, "admin")
        second = await new_staff(client, database_url, "admin")
        connection = await asyncpg.connect(database_url)
        try:
            # Only these two are admins: the others the earlier rounds and tests made step down.
            await connection.execute(
                "UPDATE users SET role = 'user' WHERE role = 'admin' AND id <> ALL($1::uuid[])",
                [UUID(first.id), UUID(second.id)],
            )
            answers = await asyncio.gather(
                client.put(
                    f"{ADMIN}/accounts/{second.id}/role", json={"role": "user", "reason": "a"}, headers=first.headers
                ),
                client.put(
                    f"{ADMIN}/accounts/{first.id}/role", json={"role": "user", "reason": "b"}, headers=second.headers
                ),
            )
            admins = await connection.fetchval("SELECT count(*) FROM users WHERE role = 'admin'")
        finally:
            await connection.close()
        statuses = sorted(answer.status_code for answer in answers)
        # One demotes the other; the other is then refused: as the last admin, or as no admin any more.
        assert statuses[0] == 200, [answer.text for answer in answers]
        assert statuses[1] in {403, 409}, [answer.text for answer in answers]
        assert admins == 1


async def test_the_audit_log_is_append_only(client: httpx.AsyncClient, database_url: str) -> None:
    await new_staff(client, database_url, "admin")
    connection = await asyncpg.connect(database_url)
    try:
        for statement in ("UPDATE audit_log SET reason = 'rewritten'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM audit_log") == 1
    finally:
        await connection.close()


async def test_two_admins_suspending_each_other_at_once_leave_one_admin(
    client: httpx.AsyncClient, database_url: str
) -> None:
    first = await new_staff(client, database_url, "admin")
    second = await new_staff(client, database_url, "admin")

    answers = await asyncio.gather(suspend(client, first, second), suspend(client, second, first))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses[0] == 200, [answer.text for answer in answers]
    # The second is refused: by the gate (its session ended) or, inside its transaction, as no admin any more.
    assert statuses[1] in {401, 403}, [answer.text for answer in answers]
    connection = await asyncpg.connect(database_url)
    try:
        active = await connection.fetchval(
            "SELECT count(*) FROM users WHERE id = ANY($1::uuid[]) AND suspended_at IS NULL",
            [UUID(first.id), UUID(second.id)],
        )
    finally:
        await connection.close()
    assert active == 1


async def test_an_admin_demoted_after_the_gate_checked_them_is_refused_inside_the_transaction(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """The gate's check and the write are two moments: the write reads the actor again."""
    admin = await new_staff(client, database_url, "admin")
    await new_staff(client, database_url, "admin")
    target = await new_account(client)
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            # Hold the staff, as a concurrent staff write would, so the request waits past its gate.
            await connection.execute("SELECT id FROM users WHERE role <> 'user' FOR UPDATE")
            request = asyncio.create_task(
                client.put(
                    f"{ADMIN}/accounts/{target.id}/role",
                    json={"role": "moderator", "reason": "x"},
                    headers=admin.headers,
                )
            )
            await asyncio.sleep(0.3)  # it passed the gate and waits for the staff's rows
            assert not request.done()
            await connection.execute("UPDATE users SET role = 'user' WHERE id = $1", UUID(admin.id))
        answer = await request
        role = await connection.fetchval("SELECT role FROM users WHERE id = $1", UUID(target.id))
    finally:
        await connection.close()
    assert_problem(answer, 403, "insufficient_role")
    assert role == "user"
