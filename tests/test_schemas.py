"""JSON Schemas of pack.yaml and roles.yaml: generated from the models, valid for every built-in
pack, printed by ``csrules schema`` and committed to docs/reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

import csrules.policies
from csrules._cli.cli import main
from csrules.domain.roles import RoleCatalogue
from csrules.exceptions import PolicyError
from csrules.policies import pack_names
from csrules.policies.schemas import SCHEMAS, PackManifest, file_schema, pack_schema, roles_schema

ROOT = Path(__file__).parents[1]
PACKS = Path(csrules.policies.__file__).resolve().parent  # the installed packs, editable or not
REFERENCE = ROOT / "docs" / "reference"


def _yaml(pack: str, name: str) -> Any:
    return yaml.safe_load((PACKS / pack / name).read_text(encoding="utf-8"))


def _validator(schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class TestBuiltinFilesValidate:
    @pytest.mark.parametrize("pack", pack_names())
    def test_pack_yaml_validates_through_the_model(self, pack: str) -> None:
        """Every built-in pack.yaml is a valid PackManifest, naming the pack's own files."""
        manifest = PackManifest.model_validate(_yaml(pack, "pack.yaml"))
        assert manifest.name == pack
        for name in (manifest.roles, *manifest.policies):
            assert (PACKS / pack / name).is_file()

    @pytest.mark.parametrize("pack", pack_names())
    def test_roles_yaml_validates_through_the_model(self, pack: str) -> None:
        """Every built-in roles.yaml is a valid RoleCatalogue."""
        assert len(RoleCatalogue(**_yaml(pack, "roles.yaml"))) > 0

    @pytest.mark.parametrize("pack", pack_names())
    @pytest.mark.parametrize("kind", ["pack", "roles"])
    def test_builtin_files_validate_against_the_schema(self, pack: str, kind: str) -> None:
        """Every built-in pack.yaml and roles.yaml passes a JSON Schema validator (as in an editor)."""
        validator = _validator(file_schema(kind))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(_yaml(pack, f"{kind}.yaml"))]
        assert errors == []

    def test_schema_rejects_what_the_model_rejects(self) -> None:
        """An unknown key, a missing policy list or a wrong-shaped role fails both the model and the schema."""
        good = _yaml("call_centre", "pack.yaml")
        cases = [({**good, "polices": []}, "polices"), ({k: v for k, v in good.items() if k != "policies"}, "policies")]
        for bad, field in cases:
            with pytest.raises(ValidationError, match=field):
                PackManifest.model_validate(bad)
            assert list(_validator(pack_schema()).iter_errors(bad))
        bad_roles = {"roles": [{"id": "Shift Lead", "title": {"en": "x", "zh": "x"}}]}
        with pytest.raises(PolicyError):
            RoleCatalogue(**bad_roles)
        assert list(_validator(roles_schema()).iter_errors(bad_roles))


class TestSchemaShape:
    def test_pack_schema_is_closed_and_lists_the_manifest_keys(self) -> None:
        """The pack schema allows exactly the keys the built-in manifests use, and requires the core ones."""
        schema = pack_schema()
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["additionalProperties"] is False
        used = {key for pack in pack_names() for key in _yaml(pack, "pack.yaml")}
        assert used <= set(schema["properties"])
        assert set(schema["required"]) == {"name", "title", "version"}
        assert schema["anyOf"] == [{"required": ["policies"]}, {"required": ["extends"]}]

    def test_roles_schema_is_closed_and_describes_a_role(self) -> None:
        """The roles schema has one required list of closed role objects with a lower-case id."""
        schema = roles_schema()
        assert schema["required"] == ["roles"]
        role = schema["$defs"]["Role"]
        assert role["additionalProperties"] is False
        assert role["properties"]["id"]["pattern"] == "^[a-z][a-z0-9_]*$"
        assert set(role["required"]) == {"id", "title"}

    def test_unknown_kind_is_a_clear_error(self) -> None:
        """Asking for a schema of an unknown kind names the known ones."""
        with pytest.raises(ValueError, match="known: policy, pack, roles"):
            file_schema("duties")


class TestCommandAndReference:
    @pytest.mark.parametrize("kind", list(SCHEMAS))
    def test_schema_command_prints_each_kind(self, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules schema KIND prints that kind's schema."""
        assert main(["schema", kind]) == 0
        assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(file_schema(kind), default=str))

    def test_schema_command_defaults_to_policies(self, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules schema with no kind still prints the policy schema."""
        assert main(["schema"]) == 0
        assert json.loads(capsys.readouterr().out)["title"] == file_schema("policy")["title"]

    def test_reference_schemas_are_current(self, tmp_path: Path) -> None:
        """docs/reference/<kind>.schema.json equal what csrules docs writes now, in a fresh
        interpreter (a kind another test registers belongs in its schema, not in ours)."""
        code = (
            "import sys, pathlib; from csrules.policies.schemas import write_schemas; "
            "write_schemas(pathlib.Path(sys.argv[1]))"
        )
        subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
        for path in sorted(tmp_path.glob("*.schema.json")):
            committed = REFERENCE / path.name
            assert committed.is_file(), f"{committed} is missing; regenerate: csrules docs --out docs/reference"
            assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
                f"{committed} is stale; regenerate: csrules docs --out docs/reference"
            )
