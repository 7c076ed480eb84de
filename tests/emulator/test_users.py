"""Directory users through google-api-python-client over HTTP: the calls portalsync makes, their errors."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

CUSTOMER_A = "C01aaaaaa"


def reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def message(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["message"])


def user_body(email: str, given: str = "Ada", family: str = "Lovelace", **extra: Any) -> dict[str, Any]:
    return {
        "primaryEmail": email,
        "name": {"givenName": given, "familyName": family},
        "password": "s3cret-pw!",
        **extra,
    }


@pytest.fixture
def admin_a(control: ControlClient, emulator_url: str) -> Any:
    return directory(emulator_url, "admin@a.example")


@pytest.fixture
def admin_b(control: ControlClient, emulator_url: str) -> Any:
    return directory(emulator_url, "admin@b.example")


def all_emails(svc: Any, **kwargs: Any) -> list[str]:
    """Every page of users.list, as primary e-mails in response order."""
    emails: list[str] = []
    token = None
    while True:
        resp = svc.users().list(pageToken=token, **kwargs).execute()
        emails.extend(u["primaryEmail"] for u in resp.get("users", []))
        token = resp.get("nextPageToken")
        if not token:
            return emails


# --- insert / get ---------------------------------------------------------------------------------------


def test_insert_returns_the_created_user_without_its_password(admin_a: Any) -> None:
    created = admin_a.users().insert(body=user_body("ada@a.example", orgUnitPath="/")).execute()
    assert created["primaryEmail"] == "ada@a.example"
    assert created["name"] == {"givenName": "Ada", "familyName": "Lovelace", "fullName": "Ada Lovelace"}
    assert created["customerId"] == CUSTOMER_A
    assert created["orgUnitPath"] == "/"
    assert created["id"].isdigit()
    assert "password" not in created
    assert created["etag"]


def test_get_by_primary_email_and_by_id_returns_the_same_user(admin_a: Any) -> None:
    created = admin_a.users().insert(body=user_body("grace@a2.example", "Grace", "Hopper")).execute()
    by_email = admin_a.users().get(userKey="GRACE@a2.example").execute()
    by_id = admin_a.users().get(userKey=created["id"]).execute()
    assert by_email == by_id
    assert by_email["id"] == created["id"]
    assert "password" not in by_email


def test_get_unknown_user_is_404_resource_not_found(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().get(userKey="nobody@a.example").execute()
    assert caught.value.resp.status == 404
    assert reason(caught.value) == "notFound"
    assert message(caught.value) == "Resource Not Found: userKey"


def test_japanese_names_are_accepted_and_returned_unchanged(admin_a: Any) -> None:
    admin_a.users().insert(body=user_body("taro@a.example", "太郎", "山田")).execute()
    fetched = admin_a.users().get(userKey="taro@a.example").execute()
    assert fetched["name"]["givenName"] == "太郎"
    assert fetched["name"]["familyName"] == "山田"
    found = admin_a.users().list(customer="my_customer", query="familyName:山田").execute()
    assert [u["primaryEmail"] for u in found["users"]] == ["taro@a.example"]


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("A" * 61, "Valid"),
        ("Valid", "B" * 61),
        ("Bob<script>", "Valid"),
        ("Valid", "Smith@home"),
        ("", "Valid"),
    ],
    ids=["given-too-long", "family-too-long", "angle-brackets", "at-sign", "empty"],
)
def test_insert_rejects_invalid_names_with_400_invalid(admin_a: Any, given: str, family: str) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().insert(body=user_body("bad@a.example", given, family)).execute()
    assert caught.value.resp.status == 400
    assert reason(caught.value) == "invalid"
    with pytest.raises(HttpError):
        admin_a.users().get(userKey="bad@a.example").execute()


def test_a_name_of_exactly_60_characters_is_allowed(admin_a: Any) -> None:
    created = admin_a.users().insert(body=user_body("long@a.example", "G" * 60, "F" * 60)).execute()
    assert len(created["name"]["givenName"]) == 60


def test_insert_of_an_existing_address_is_409_duplicate(admin_a: Any) -> None:
    admin_a.users().insert(body=user_body("dup@a.example")).execute()
    with pytest.raises(HttpError) as caught:
        admin_a.users().insert(body=user_body("DUP@a.example", "Other", "Person")).execute()
    assert caught.value.resp.status == 409
    assert reason(caught.value) == "duplicate"
    assert message(caught.value) == "Entity already exists."


def test_insert_past_the_cloud_identity_free_cap_is_412_until_the_cap_is_raised(
    control: ControlClient, admin_a: Any
) -> None:
    """portalsync reports a full tenant from this answer; raising the cap must let provisioning resume."""
    control.post("subscription", {"customerId": CUSTOMER_A, "freeLicenseCap": 1})
    users = admin_a.users()
    users.insert(body=user_body("first@a.example")).execute()  # takes the one free license
    with pytest.raises(HttpError) as caught:
        users.insert(body=user_body("second@a.example")).execute()
    assert caught.value.resp.status == 412
    assert reason(caught.value) == "conditionNotMet"
    assert message(caught.value) == "Domain user limit exceeded."
    with pytest.raises(HttpError) as missing:
        users.get(userKey="second@a.example").execute()
    assert missing.value.resp.status == 404  # nothing half-created
    raised = control.post("subscription", {"customerId": CUSTOMER_A, "freeLicenseCap": 2})
    assert raised["inUse"] == 1
    assert users.insert(body=user_body("second@a.example")).execute()["primaryEmail"] == "second@a.example"


def test_insert_into_a_missing_org_unit_is_400(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().insert(body=user_body("lost@a.example", orgUnitPath="/Nowhere")).execute()
    assert caught.value.resp.status == 400
    assert reason(caught.value) == "invalid"


# --- list -------------------------------------------------------------------------------------------------


def test_list_needs_customer_or_domain(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().list().execute()
    assert caught.value.resp.status == 400
    assert reason(caught.value) == "badRequest"


def test_list_by_customer_spans_domains_and_by_domain_does_not(admin_a: Any) -> None:
    admin_a.users().insert(body=user_body("one@a.example")).execute()
    admin_a.users().insert(body=user_body("two@a2.example")).execute()
    assert all_emails(admin_a, customer="my_customer") == [
        "admin@a.example",
        "one@a.example",
        "two@a2.example",
    ]
    assert all_emails(admin_a, customer=CUSTOMER_A) == ["admin@a.example", "one@a.example", "two@a2.example"]
    assert all_emails(admin_a, domain="a2.example") == ["two@a2.example"]
    assert all_emails(admin_a, domain="a.example") == ["admin@a.example", "one@a.example"]


def test_list_pages_through_1201_users_to_the_last_page(control: ControlClient, admin_a: Any) -> None:
    control.post("subscription", {"customerId": CUSTOMER_A, "freeLicenseCap": 5000})
    users = admin_a.users()
    for i in range(1201):
        users.insert(body=user_body(f"u{i:04d}@a.example")).execute()
    sizes: list[int] = []
    emails: list[str] = []
    token: str | None = None
    while True:
        resp = users.list(customer="my_customer", maxResults=500, orderBy="email", pageToken=token).execute()
        sizes.append(len(resp["users"]))
        emails.extend(u["primaryEmail"] for u in resp["users"])
        token = resp.get("nextPageToken")
        if token is None:
            break
    assert sizes == [500, 500, 202]  # 1,201 plus the seeded super admin
    assert len(set(emails)) == 1202
    assert emails == sorted(emails)
    default_page = users.list(customer="my_customer").execute()
    assert len(default_page["users"]) == 100
    assert "nextPageToken" in default_page


def test_list_max_results_above_500_is_refused(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().list(customer="my_customer", maxResults=501).execute()
    assert caught.value.resp.status == 400


@pytest.mark.parametrize("token", ["p-1", "-1", "bogus", "p"])
def test_list_with_a_page_token_it_never_issued_is_400_invalid(admin_a: Any, token: str) -> None:
    """A forged or corrupted token must fail loudly, not return an arbitrary slice of the directory."""
    with pytest.raises(HttpError) as caught:
        admin_a.users().list(customer="my_customer", pageToken=token).execute()
    assert caught.value.resp.status == 400
    assert reason(caught.value) == "invalid"


def test_list_with_no_match_has_no_users_key(admin_a: Any) -> None:
    resp = admin_a.users().list(customer="my_customer", query="email:nobody*").execute()
    assert "users" not in resp
    assert "nextPageToken" not in resp


@pytest.fixture
def staff(admin_a: Any) -> Any:
    """A small directory: nested OUs with a space in the name, suspended and secondary-domain users."""
    ous = admin_a.orgunits()
    ous.insert(customerId="my_customer", body={"name": "Cloud Identity", "parentOrgUnitPath": "/"}).execute()
    ous.insert(
        customerId="my_customer", body={"name": "Support", "parentOrgUnitPath": "/Cloud Identity"}
    ).execute()
    ous.insert(customerId="my_customer", body={"name": "Sales", "parentOrgUnitPath": "/"}).execute()
    users = admin_a.users()
    users.insert(
        body=user_body("jane.smith@a.example", "Jane", "Smith", orgUnitPath="/Cloud Identity")
    ).execute()
    users.insert(
        body=user_body("john.smith@a.example", "John", "Smith", orgUnitPath="/Cloud Identity/Support")
    ).execute()
    users.insert(
        body=user_body("jan.berg@a2.example", "Jan", "Berg", orgUnitPath="/Sales", suspended=True)
    ).execute()
    users.insert(body=user_body("mary@a.example", "Mary", "Janeway", orgUnitPath="/Sales")).execute()
    return admin_a


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("orgUnitPath='/Cloud Identity'", ["jane.smith@a.example", "john.smith@a.example"]),
        ('orgUnitPath="/cloud identity/Support"', ["john.smith@a.example"]),
        ("orgUnitPath=/Sales", ["jan.berg@a2.example", "mary@a.example"]),
        ("email:jan*", ["jan.berg@a2.example", "jane.smith@a.example"]),
        ("email=mary@a.example", ["mary@a.example"]),
        ("email:mary", ["mary@a.example"]),  # `:` matches a word of the address
        ("isSuspended=true", ["jan.berg@a2.example"]),
        ("isAdmin=true", ["admin@a.example"]),
        ("givenName:Jane", ["jane.smith@a.example"]),
        ("givenName:Ja*", ["jan.berg@a2.example", "jane.smith@a.example"]),
        ("familyName:Smith", ["jane.smith@a.example", "john.smith@a.example"]),
        ("familyName:smith givenName:john", ["john.smith@a.example"]),
        ("orgUnitPath=/Sales isSuspended=false", ["mary@a.example"]),
        ("orgUnitPath='/Cloud Identity' familyName:Berg", []),
    ],
)
def test_list_query_filters(staff: Any, query: str, expected: list[str]) -> None:
    assert sorted(all_emails(staff, customer="my_customer", query=query)) == expected


def test_list_query_reads_an_escaped_apostrophe_in_a_quoted_org_unit_path(admin_a: Any) -> None:
    """portalsync escapes `'` as `\\'` inside the quoted path, as Google's search syntax requires."""
    ous = admin_a.orgunits()
    for name in ("O'Brien Team", "O"):
        ous.insert(customerId="my_customer", body={"name": name, "parentOrgUnitPath": "/"}).execute()
    admin_a.users().insert(body=user_body("ob@a.example", orgUnitPath="/O'Brien Team")).execute()
    admin_a.users().insert(body=user_body("o@a.example", orgUnitPath="/O")).execute()
    query = r"orgUnitPath='/O\'Brien Team'"  # the OU "/O" must not match
    assert all_emails(admin_a, customer="my_customer", query=query) == ["ob@a.example"]
    both = r"orgUnitPath='/O\'Brien Team' givenName:Ada"
    assert all_emails(admin_a, customer="my_customer", query=both) == ["ob@a.example"]


def test_list_query_with_an_unknown_field_is_400(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().list(customer="my_customer", query="shoeSize=42").execute()
    assert caught.value.resp.status == 400


def test_list_order_by_names_in_both_directions(staff: Any) -> None:
    by_given = all_emails(staff, customer="my_customer", orderBy="givenName", query="email:j*")
    assert by_given == ["jan.berg@a2.example", "jane.smith@a.example", "john.smith@a.example"]
    by_family_desc = all_emails(
        staff,
        customer="my_customer",
        orderBy="familyName",
        sortOrder="DESCENDING",
        query="orgUnitPath=/Sales",
    )
    assert by_family_desc == ["mary@a.example", "jan.berg@a2.example"]  # Janeway, Berg


# --- update / patch ------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(staff: Any) -> None:
    before = staff.users().get(userKey="mary@a.example").execute()
    after = (
        staff.users()
        .patch(
            userKey="mary@a.example",
            body={
                "name": {"familyName": "Shelley"},
                "suspended": True,
                "orgUnitPath": "/cloud identity/support",
                "password": "n3w-passw0rd",
                "changePasswordAtNextLogin": True,
                "recoveryEmail": "mary@example.org",
                "externalIds": [{"type": "organization", "value": "EMP-7"}],
                "includeInGlobalAddressList": False,
            },
        )
        .execute()
    )
    assert after["name"] == {"givenName": "Mary", "familyName": "Shelley", "fullName": "Mary Shelley"}
    assert after["suspended"] is True
    assert after["orgUnitPath"] == "/Cloud Identity/Support"
    assert after["changePasswordAtNextLogin"] is True
    assert after["recoveryEmail"] == "mary@example.org"
    assert after["externalIds"] == [{"type": "organization", "value": "EMP-7"}]
    assert after["includeInGlobalAddressList"] is False
    assert "password" not in after
    assert after["etag"] != before["etag"]
    assert after["id"] == before["id"]
    assert staff.users().get(userKey="mary@a.example").execute() == after


def test_update_put_has_patch_semantics(staff: Any) -> None:
    before = staff.users().get(userKey="jane.smith@a.example").execute()
    after = staff.users().update(userKey="jane.smith@a.example", body={"suspended": True}).execute()
    assert after["suspended"] is True
    assert after["name"] == before["name"]
    assert after["orgUnitPath"] == before["orgUnitPath"]
    resumed = staff.users().update(userKey=before["id"], body={"suspended": False}).execute()
    assert resumed["suspended"] is False


def test_update_into_a_missing_org_unit_is_400_and_changes_nothing(staff: Any) -> None:
    before = staff.users().get(userKey="mary@a.example").execute()
    with pytest.raises(HttpError) as caught:
        staff.users().update(
            userKey="mary@a.example", body={"orgUnitPath": "/Nowhere", "suspended": True}
        ).execute()
    assert caught.value.resp.status == 400
    assert reason(caught.value) == "invalid"
    assert staff.users().get(userKey="mary@a.example").execute() == before


def test_update_with_an_invalid_name_is_400(staff: Any) -> None:
    with pytest.raises(HttpError) as caught:
        staff.users().patch(userKey="mary@a.example", body={"name": {"givenName": "x" * 61}}).execute()
    assert reason(caught.value) == "invalid"


def test_update_of_an_unknown_user_is_404(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().update(userKey="ghost@a.example", body={"suspended": True}).execute()
    assert caught.value.resp.status == 404
    assert reason(caught.value) == "notFound"


def test_rename_primary_email_keeps_the_old_address_as_alias(staff: Any) -> None:
    renamed = (
        staff.users().patch(userKey="mary@a.example", body={"primaryEmail": "mary.j@a2.example"}).execute()
    )
    assert renamed["primaryEmail"] == "mary.j@a2.example"
    assert renamed["aliases"] == ["mary@a.example"]
    assert staff.users().get(userKey="mary@a.example").execute()["primaryEmail"] == "mary.j@a2.example"
    assert "mary.j@a2.example" in all_emails(staff, domain="a2.example")
    with pytest.raises(HttpError) as caught:
        staff.users().insert(body=user_body("mary@a.example")).execute()
    assert reason(caught.value) == "duplicate"


def test_rename_to_a_taken_address_is_409_and_to_a_foreign_domain_403(staff: Any) -> None:
    with pytest.raises(HttpError) as taken:
        staff.users().patch(userKey="mary@a.example", body={"primaryEmail": "jane.smith@a.example"}).execute()
    assert taken.value.resp.status == 409
    assert reason(taken.value) == "duplicate"
    with pytest.raises(HttpError) as foreign:
        staff.users().patch(userKey="mary@a.example", body={"primaryEmail": "mary@b.example"}).execute()
    assert foreign.value.resp.status == 403


# --- delete ---------------------------------------------------------------------------------------------


def test_delete_answers_204_and_removes_licenses_and_role_assignments(
    control: ControlClient, admin_a: Any
) -> None:
    created = admin_a.users().insert(body=user_body("leaver@a.example")).execute()
    control.post("role-assignments", {"user": "leaver@a.example", "roleName": "_HELP_DESK_ADMIN_ROLE"})
    control.post("groups", {"email": "staff@a.example", "members": ["leaver@a.example", "admin@a.example"]})
    state = control.get("state")["customers"][CUSTOMER_A]
    assert created["id"] in state["licenses"]["101001/1010010001"]
    assert any(a["assignedTo"] == created["id"] for a in state["roleAssignments"])

    assert admin_a.users().delete(userKey="leaver@a.example").execute() == ""

    with pytest.raises(HttpError) as caught:
        admin_a.users().get(userKey=created["id"]).execute()
    assert caught.value.resp.status == 404
    state = control.get("state")["customers"][CUSTOMER_A]
    assert all(created["id"] not in holders for holders in state["licenses"].values())
    assert all(a["assignedTo"] != created["id"] for a in state["roleAssignments"])
    assert [m["email"] for m in state["groups"]["staff@a.example"]] == ["admin@a.example"]
    # The address is free again.
    admin_a.users().insert(body=user_body("leaver@a.example")).execute()


def test_delete_of_an_unknown_user_is_404(admin_a: Any) -> None:
    with pytest.raises(HttpError) as caught:
        admin_a.users().delete(userKey="ghost@a.example").execute()
    assert caught.value.resp.status == 404


# --- eventual consistency ----------------------------------------------------------------------------------


def test_a_new_user_is_incomplete_invisible_then_settles(control: ControlClient, admin_a: Any) -> None:
    # Windows far longer than any pause under load; the emulator clock is stepped past them instead.
    control.post("consistency", {"incompleteSeconds": 60, "getLagSeconds": 40, "listLagSeconds": 40})
    users = admin_a.users()
    settled = users.insert(body=user_body("settled@a.example")).execute()
    control.post("clock", {"advanceSeconds": 61})
    created = users.insert(body=user_body("fresh@a.example")).execute()
    with pytest.raises(HttpError) as not_yet:
        users.get(userKey="fresh@a.example").execute()
    assert not_yet.value.resp.status == 404
    assert message(not_yet.value) == "Resource Not Found: userKey"
    assert "fresh@a.example" not in all_emails(admin_a, customer="my_customer")
    for call in (
        users.patch(userKey=created["id"], body={"suspended": True}),
        users.update(userKey=created["id"], body={"suspended": True}),
        users.delete(userKey=created["id"]),
    ):
        with pytest.raises(HttpError) as incomplete:
            call.execute()
        assert incomplete.value.resp.status == 412
        assert reason(incomplete.value) == "conditionNotMet"
        assert message(incomplete.value) == "User creation is not complete."
    # A user whose windows have passed is unaffected meanwhile.
    assert users.get(userKey=settled["id"]).execute()["primaryEmail"] == "settled@a.example"
    assert users.patch(userKey=settled["id"], body={"suspended": True}).execute()["suspended"] is True

    control.post("clock", {"advanceSeconds": 61})
    assert users.get(userKey="fresh@a.example").execute()["id"] == created["id"]
    assert "fresh@a.example" in all_emails(admin_a, customer="my_customer")
    assert users.patch(userKey=created["id"], body={"suspended": True}).execute()["suspended"] is True


def test_a_short_real_window_closes_by_itself(control: ControlClient, admin_a: Any) -> None:
    """Without stepping the clock a window still ends: the emulator clock runs at real speed."""
    window = 0.3
    control.post("consistency", {"getLagSeconds": window})
    started = time.monotonic()
    created = admin_a.users().insert(body=user_body("slow@a.example")).execute()
    deadline = started + 30.0
    statuses: list[int] = []
    found: dict[str, Any] | None = None
    while found is None and time.monotonic() < deadline:
        try:
            found = admin_a.users().get(userKey="slow@a.example").execute()
        except HttpError as error:
            statuses.append(error.resp.status)
            time.sleep(0.05)
    assert set(statuses) <= {404}
    assert found is not None, "the window never closed"
    assert found["id"] == created["id"]
    assert time.monotonic() - started >= window  # found only once the window had passed


# --- tenant isolation --------------------------------------------------------------------------------------


def test_another_customers_admin_cannot_read_or_write_customer_a(admin_a: Any, admin_b: Any) -> None:
    created = admin_a.users().insert(body=user_body("private@a.example")).execute()
    attempts = {
        "get": admin_b.users().get(userKey="private@a.example"),
        "list-customer": admin_b.users().list(customer=CUSTOMER_A),
        "list-domain": admin_b.users().list(domain="a2.example"),
        "insert": admin_b.users().insert(body=user_body("intruder@a.example")),
        "patch": admin_b.users().patch(userKey="private@a.example", body={"suspended": True}),
        "update": admin_b.users().update(userKey="private@a.example", body={"suspended": True}),
        "delete": admin_b.users().delete(userKey="private@a.example"),
    }
    for name, request in attempts.items():
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert caught.value.resp.status == 403, name
    assert all_emails(admin_b, customer="my_customer") == ["admin@b.example"]
    unchanged = admin_a.users().get(userKey=created["id"]).execute()
    assert unchanged["suspended"] is False


def test_a_delegated_admin_cannot_create_users(emulator_url: str, admin_a: Any) -> None:
    """Google reserves creating users to super admins; a delegated admin as subject must see 403."""
    helper = admin_a.users().insert(body=user_body("helper@a.example")).execute()
    roles = admin_a.roles().list(customer="my_customer").execute()["items"]
    reseller = next(r["roleId"] for r in roles if r["roleName"] == "_RESELLER_ADMIN_ROLE")
    admin_a.roleAssignments().insert(
        customer="my_customer", body={"roleId": reseller, "assignedTo": helper["id"], "scopeType": "CUSTOMER"}
    ).execute()
    delegated = directory(emulator_url, "helper@a.example")
    me = delegated.users().get(userKey="helper@a.example").execute()
    assert (me["isDelegatedAdmin"], me["isAdmin"]) == (True, False)
    assert "users" in delegated.users().list(customer="my_customer").execute()  # reading is allowed
    with pytest.raises(HttpError) as caught:
        delegated.users().insert(body=user_body("new.hire@a.example")).execute()
    assert caught.value.resp.status == 403
    assert reason(caught.value) == "forbidden"
    with pytest.raises(HttpError) as missing:
        admin_a.users().get(userKey="new.hire@a.example").execute()
    assert missing.value.resp.status == 404


def test_a_non_admin_user_cannot_manage_users(
    control: ControlClient, emulator_url: str, admin_a: Any
) -> None:
    admin_a.users().insert(body=user_body("plain@a.example")).execute()
    plain = directory(emulator_url, "plain@a.example")
    with pytest.raises(HttpError) as caught:
        plain.users().list(customer="my_customer").execute()
    assert caught.value.resp.status == 403
