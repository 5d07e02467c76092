"""Pack rules read against their source clauses: service language on calls and chats, holiday leave, duties."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from csrules import Decision
from csrules.policies import load_pack
from tests.company_support import company
from tests.test_lead10_fixes import one_rule_policy

NOW = datetime.fromisoformat("2026-03-10T10:05:00+08:00")


def _call(lines: list[str], **extra: Any) -> dict[str, Any]:
    return {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T10:00:00+08:00", "duration": "PT2M",
            "agent_lines": lines, **extra}


def _decision(pack: str, fact: dict[str, Any], fact_type: str = "call_record") -> Decision:
    return load_pack(pack).engine().evaluate(fact, fact_type=fact_type, now=NOW)


def _fired(pack: str, fact: dict[str, Any], fact_type: str = "call_record") -> set[str]:
    return set(_decision(pack, fact, fact_type).rule_ids)


GREETING_RULES = [("mall", "CON-1.hello", "CON-1.no-agent-lines", "obligation:cs_supervisor"),
                  ("call_centre", "CON-4.greeting", "CON-4.no-agent-lines", "obligation:qa_inspector"),
                  ("online_support", "CON-2.announce", "CON-2.no-agent-lines", "obligation:team_lead")]


class TestACallWithoutAgentLines:
    """A missing transcript is no evidence of a missing greeting: the recording is checked instead."""

    @pytest.mark.parametrize(("pack", "rule", "check", "effect"), GREETING_RULES)
    def test_no_greeting_violation_but_a_check(self, pack: str, rule: str, check: str, effect: str) -> None:
        """A dropped call (no agent line) is no greeting violation; someone checks the recording."""
        decision = _decision(pack, _call([], duration="PT0S"))
        assert rule not in decision.rule_ids
        assert check in decision.rule_ids
        assert not {key for key in decision.effect_keys if key.startswith("violation")}
        assert effect in decision.effect_keys

    @pytest.mark.parametrize(("pack", "rule", "check", "effect"), GREETING_RULES)
    def test_a_call_with_lines_is_still_judged(self, pack: str, rule: str, check: str, effect: str) -> None:
        """A first line without the greeting is still a violation, and asks for no recording."""
        fired = _fired(pack, _call(["講", "好的"]))
        assert rule in fired
        assert check not in fired

    def test_many_rings_and_no_lines_is_no_missing_apology(self) -> None:
        """online_support CON-2.apologise has no opening line to find the apology in either."""
        assert "CON-2.apologise" not in _fired("online_support", _call([], rings_before_pickup=6))
        assert "CON-2.apologise" in _fired("online_support", _call(["客服部"], rings_before_pickup=6))


class TestTheFarewellNeedNotBeTheLastWord:
    """001 業務代表職責 4 送聲 / 003 篇17 結束語: a pleasantry after 再見 does not take the farewell back."""

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    @pytest.mark.parametrize("last", ["祝您愉快", "謝謝", "歡迎再來電"])
    def test_farewell_then_a_pleasantry(self, pack: str, last: str) -> None:
        """再見 followed by 祝您愉快 (or thanks, or an invitation to call again) is a farewell."""
        assert "CON-4.farewell" not in _fired(pack, _call(["您好，這裡是客服部", "好的，再見", last]))

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_farewell_then_more_business(self, pack: str) -> None:
        """再見 followed by more business closed nothing."""
        assert "CON-4.farewell" in _fired(pack, _call(["您好，這裡是客服部", "再見", "對了，還有一件事"]))

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_a_pleasantry_beside_more_business(self, pack: str) -> None:
        """The pleasantry is found anywhere in the last line, as the README says: 謝謝 beside more
        business still closes the call after a 再見."""
        assert "CON-4.farewell" not in _fired(pack, _call(["您好，這裡是客服部", "再見", "謝謝，對了還有一件事"]))

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_no_farewell_at_all(self, pack: str) -> None:
        """A call that never says 再見 still lacks the farewell."""
        assert "CON-4.farewell" in _fired(pack, _call(["您好，這裡是客服部", "好的，謝謝", "祝您愉快"]))


def test_a_greeting_written_to_a_woman_is_caught_by_folding() -> None:
    """The call_centre README: matching folds 妳 into 你, so 你好 alone catches 妳好."""
    pack = load_pack("call_centre", overrides={"call": {"greeting_phrases": ["您好", "你好"]}})
    fact = _call(["妳好，客服中心", "再見"])
    assert "CON-4.greeting" not in pack.engine().evaluate(fact, fact_type="call_record", now=NOW).rule_ids
    assert "CON-4.greeting" in _fired("call_centre", _call(["客服中心", "再見"]))


class TestCourtesyWords:
    """002 第二則 一 7 「請」字當頭; 003 篇17 態度 第一條 請/謝/您 是公司接通電話時的必用語."""

    def test_ecommerce_chat_without_please(self) -> None:
        """The first of the two musts: a chat in which the agent never said 請."""
        assert "CON-4.please-first" in _fired("ecommerce", _call(["您好", "您要的款有貨", "好的，再見"]))
        assert "CON-4.please-first" not in _fired("ecommerce", _call(["您好", "請稍等，您要的款有貨"]))

    def test_ecommerce_application_is_no_please(self) -> None:
        """申請 holds 請 but asks nothing of the buyer."""
        assert "CON-4.please-first" in _fired("ecommerce", _call(["您好", "已經幫您申請退款了"]))

    def test_online_support_call_without_courtesy(self) -> None:
        """A call with none of 請, 謝, 您 breaks the courtesy the article makes a must."""
        rude = _call(["這裡是三學苑客服部", "你的問題查到了", "好，再見"], rings_before_pickup=1)
        assert "CON-4.courtesy" in _fired("online_support", rude)

    @pytest.mark.parametrize("lines", [["您好！三學苑客服部", "好的，再見"], ["這裡是客服部", "請稍等", "再見"],
                                       ["這裡是客服部", "謝謝，再見"]])
    def test_online_support_call_with_a_courtesy_word(self, lines: list[str]) -> None:
        """One of the words is enough: the article's own outbound script says 請 and 您 but no 謝."""
        assert "CON-4.courtesy" not in _fired("online_support", _call(lines))


class TestSummariesFallDueOnThePeriodsLastDay:
    """001 會議制度 4: 及時提交半年和工作總結 … 合理安排布置下半年和明年的工作."""

    @pytest.mark.parametrize(("after", "half_year"), [
        ("2026-12-01T00:00:00+08:00", "2026-12-31T23:59:59.999999+08:00"),
        ("2026-06-30T12:00:00+08:00", "2026-06-30T23:59:59.999999+08:00"),
        ("2026-06-30T16:00:00+00:00", "2026-12-31T23:59:59.999999+08:00"),  # 00:00 on 1 July in Beijing
        ("2026-01-01T00:00:00+08:00", "2026-06-30T23:59:59.999999+08:00"),
    ])
    def test_half_year_summary(self, after: str, half_year: str) -> None:
        """The half-year summary is due on 30 June and 31 December, never after the annual one."""
        duties = {duty.id: duty for duty in load_pack("call_centre").duties}
        start = datetime.fromisoformat(after)
        due = duties["DUTY-1.half-year-summary"].next_due(start)
        assert due == datetime.fromisoformat(half_year)
        assert due <= duties["DUTY-1.annual-summary"].next_due(start)


class TestNoDiscountGranted:
    """002 第二則 二 10: 明確表示不可以優惠 … 向主管說明情況申請價格 (ESC-5.no-discount)."""

    @pytest.mark.parametrize("line", ["尾款是總價再減去定金", "能優惠嗎？這個要問主管", "滿減活動是滿200再減20",
                                      "主管說可以給您九折", "主管同意給您打九折", "店鋪滿300可以優惠20元哦",
                                      "領券後能優惠10元的", "活動期間全場可以打9折"])
    def test_no_grant_of_the_agents(self, line: str) -> None:
        """Arithmetic, the buyer's question, the shop's public offer, the supervisor's price relayed."""
        assert "ESC-5.no-discount" not in _fired("ecommerce", _call(["您好，請問", line]))

    @pytest.mark.parametrize("line", ["好的，給您打個折", "再減20給您", "那給您減20吧", "主管不在，我給您打九折",
                                      "可以優惠嗎？可以的，給您優惠十元"])
    def test_the_agents_own_grant_is_still_flagged(self, line: str) -> None:
        """A discount the agent grants is flagged, also beside the forms above."""
        assert "ESC-5.no-discount" in _fired("ecommerce", _call(["您好，請問", line]))


class TestReassurancesAreNoNegativeLanguage:
    """001 第四篇 客戶服務技巧: 我不能、我不會、我不願意、我不可 refuse; a pledge that holds them does not."""

    @pytest.mark.parametrize("line", ["我不能讓您白跑一趟", "我們不能讓您受委屈", "我不可能讓您失望的",
                                      "我不可能不管您的", "我不願意看到您不滿意"])
    def test_a_pledge_is_clean(self, line: str) -> None:
        """A reassurance is no CON-5 violation."""
        fired = _fired("call_centre", _call(["您好，客服中心", line, "再見"]))
        assert not {rule for rule in fired if rule.startswith("CON-5")}

    @pytest.mark.parametrize("line", ["這個我不能幫您退", "我不可以幫您改", "我不願意幫您查"])
    def test_a_refusal_is_still_flagged(self, line: str) -> None:
        """The refusals the clause lists are still negative language."""
        fired = _fired("call_centre", _call(["您好，客服中心", line, "再見"]))
        assert {rule for rule in fired if rule.startswith("CON-5")}


def test_online_support_unrelated_work_is_flagged() -> None:
    """003 篇17 第六條 (7): 工作時間不得從事任何與工作無關的事情."""
    review = {"reviewer": "L1", "agent_id": "S01", "reviewed_at": "2026-03-10T10:00:00+08:00"}
    for finding in ("unrelated_work", "games", "chatted", "private_call", "second_job"):
        assert "CON-6.unrelated-work" in _fired("online_support", {**review, finding: True}, "qa_review")
    assert "CON-6.unrelated-work" not in _fired("online_support", review, "qa_review")


EXTRA_POLICY = one_rule_policy(
    "acme.extra", "leave_request", "X-1.director", '{kind: compare, path: days, op: ">", value: 3}',
    "{type: approval, role: centre_directer}")


def test_a_role_typo_is_located_in_its_own_file_not_on_the_overrides(tmp_path: Any) -> None:
    """A company pack with overrides: the unknown role is reported at its policy file's line."""
    from csrules import PolicyError

    overrides = "overrides:\n  leave:\n    personal_notice: 2d\n"
    company(tmp_path, f"policies: [extra.yaml]\n{overrides}", extra__yaml=EXTRA_POLICY)
    with pytest.raises(PolicyError, match="centre_directer") as caught:
        load_pack(tmp_path)
    assert "extra.yaml:9" in str(caught.value)
    assert "overrides" not in str(caught.value)


class TestIDontKnowInOtherWords:
    """001 投訴處理準則 5 / 003 篇19 三 5: 避免跟顧客說“不行、不知道、不可以”等."""

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    @pytest.mark.parametrize("line", ["這個我不曉得", "我不清楚", "这个我也不清楚"])
    def test_flagged(self, pack: str, line: str) -> None:
        """不曉得 and 我不清楚 say 不知道."""
        assert "CMP-3.refusals" in _fired(pack, _call(["您好，這裡是客服部", line, "謝謝，再見"]))

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    @pytest.mark.parametrize("line", ["不曉得您現在方便接聽嗎？", "不曉得這樣安排您滿意嗎？"])
    def test_polite_questions(self, pack: str, line: str) -> None:
        """A polite question with 不曉得 is no refusal, as with 不知道."""
        assert "CMP-3.refusals" not in _fired(pack, _call(["您好，這裡是客服部", line, "謝謝，再見"]))


def _dated_qa(tmp_path: Any, listed: str) -> None:
    """A call_centre company pack with two overlapping versions of qa.yaml listed under ``listed``."""
    from csrules import policies

    base = (Path(policies.__file__).parent / "call_centre" / "qa.yaml").read_text(encoding="utf-8")
    company(tmp_path, f"{listed}: [qa1.yaml, qa2.yaml]\n",
            qa1__yaml=base.replace('version: "1.0"\n', 'version: "1.0"\nvalid_until: 2026-07-01\n', 1),
            qa2__yaml=base.replace('version: "1.0"\n', 'version: "2.0"\nvalid_from: 2026-06-30\n', 1))


def test_overlapping_replacements_are_located_and_not_told_to_use_replace(tmp_path: Any) -> None:
    """Overlapping versions under replace: name the later file's valid_from line, with no replace: hint."""
    from csrules import PolicyError

    _dated_qa(tmp_path, "replace")
    with pytest.raises(PolicyError, match="overlap") as caught:
        load_pack(tmp_path)
    assert "qa2.yaml:5" in str(caught.value)
    assert "list it under replace" not in str(caught.value)


def test_a_base_policy_written_again_keeps_the_replace_hint(tmp_path: Any) -> None:
    """The same files under policies: overlap the kept base version: the hint says to use replace:."""
    from csrules import PolicyError

    _dated_qa(tmp_path, "policies")
    with pytest.raises(PolicyError, match="list it under replace"):
        load_pack(tmp_path)
