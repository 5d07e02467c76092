"""``csrules check`` on the packs' source directory checks policies, not manifests."""

from __future__ import annotations

from pathlib import Path

import csrules.policies
from tests.test_cli_e2e import csrules as run_csrules

PACKS = Path(csrules.policies.__file__).parent


class TestCheckPackDirectory:
    def test_the_built_in_packs_are_clean(self):
        """Every policy file the pack manifests list (session policies included) passes check;
        manifests and roles are skipped."""
        result = run_csrules("check", str(PACKS), imports=False)
        assert result.returncode == 0, result.stdout + result.stderr
        packs = [csrules.policies.load_pack(info.name) for info in csrules.policies.list_packs()]
        total = sum(len(pack.policies) + len(pack.session_policies) for pack in packs)
        assert f"{total} policies checked: 0 error(s), 0 warning(s)" in result.stdout

    def test_an_unlisted_file_in_a_pack_directory_is_not_checked(self, tmp_path):
        """Only the files a manifest lists count as the pack's policies."""
        pack = tmp_path / "pack"
        pack.mkdir()
        (pack / "pack.yaml").write_text("name: p\npolicies: [a.yaml]\n", encoding="utf-8")
        (pack / "roles.yaml").write_text("roles: []\n", encoding="utf-8")
        (pack / "a.yaml").write_text("id: [broken\n", encoding="utf-8")
        result = run_csrules("check", str(tmp_path), imports=False)
        assert result.returncode == 1
        assert "a.yaml:2: error [syntax]" in result.stdout
        assert "roles.yaml" not in result.stdout
        assert "1 policy checked" in result.stdout
