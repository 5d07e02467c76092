"""The pack loader reads ``pack.yaml`` through the manifest model its schema is made from."""

from __future__ import annotations

import pytest
import yaml

from csrules import PolicyError
from csrules.policies import list_packs, packs


def _patched_manifest(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    """Make the mall pack's ``pack.yaml`` read as written plus ``changes``."""
    read = packs._read
    data = yaml.safe_load(read("mall", "pack.yaml"))
    data.update(changes)

    def fake(pack: str, filename: str) -> str:
        if (pack, filename) == ("mall", "pack.yaml"):
            return yaml.safe_dump(data, allow_unicode=True)
        return read(pack, filename)

    monkeypatch.setattr(packs, "_read", fake)


class TestManifestValidation:
    """A malformed manifest is refused with the file and key, by the schema's model."""

    def test_unknown_key_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A key the manifest does not know is refused, not silently ignored."""
        _patched_manifest(monkeypatch, colour="red")
        with pytest.raises(PolicyError, match=r"mall/pack\.yaml.*colour") as info:
            list_packs()
        assert info.match("unknown field")

    def test_bad_session_entry_names_its_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A session entry with an unknown key is refused at that key."""
        _patched_manifest(monkeypatch, sessions=[{"file": "sessions/call.yaml", "replace": ["CON-1.wei-fined"]}])
        with pytest.raises(PolicyError, match=r"mall/pack\.yaml.*sessions\[0\]\.SessionEntry\.replace: unknown field"):
            packs._manifest("mall")

    def test_built_in_manifests_validate(self) -> None:
        """Every built-in manifest passes the model the loader uses."""
        assert [info.name for info in list_packs()] == list(packs.PACK_NAMES)
