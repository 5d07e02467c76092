"""A policy's content hash: stable for equal content, different for any change."""

from __future__ import annotations

from csrules.policies import load_pack


class TestContentHash:
    """``Policy.content_hash`` and the hash a decision records."""

    def test_same_content_same_hash(self) -> None:
        """Two loads of one pack give each policy the same hash."""
        first, second = load_pack("call_centre"), load_pack("call_centre")
        assert [p.content_hash for p in first.policies] == [p.content_hash for p in second.policies]

    def test_override_changes_hash_not_version(self) -> None:
        """A tuned parameter keeps the version but changes the hash."""
        leave = load_pack("call_centre").policy("leave")
        tuned = leave.with_params(personal_notice="3d")
        assert tuned.version == leave.version
        assert tuned.content_hash != leave.content_hash

    def test_decision_records_hash(self) -> None:
        """A decision's policy refs carry the hashes of the engine's policies."""
        pack = load_pack("call_centre")
        leave = pack.policy("leave")
        engine = pack.engine()
        refs = {ref.id: ref.content_hash for plan in engine._plans.values() for ref in plan.policy_refs}
        assert refs[leave.id] == leave.content_hash
        assert refs[leave.id].startswith("sha256:")
