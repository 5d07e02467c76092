"""Built-in policy packs: the house rules of five source documents, ready to adopt and tune.

A pack is a directory of reviewable files: ``pack.yaml`` (name, title, version, sources,
duties), one YAML policy file per fact type, ``roles.yaml`` (the role catalogue) and a
``README.md`` that lists every regulation id the pack leaves to people, with the reason.

Rules that remember earlier events (the third 喂 in a month, two swaps in a row, a work
order still open after 24 hours) also ship as *session policies* (``sessions/*.yaml``,
listed under ``sessions:`` in the manifest), and the complaint flow as a lifecycle
(``lifecycles: [cmp-1]``: a lifecycle is called by its id everywhere). :meth:`Pack.engine`
judges single facts with the stateless policies; :meth:`Pack.sessions` runs the session
policies and lifecycles.

>>> from csrules.policies import list_packs, load_pack
>>> [info.name for info in list_packs()]
['call_centre', 'ecommerce', 'mall', 'online_support']
>>> pack = load_pack("call_centre", overrides={"call_centre.swap": {"max_swaps_per_month": 3}})
>>> decision = pack.engine().evaluate(leave_request)            # doctest: +SKIP
>>> agent = load_pack("mall").sessions().session("M01")          # doctest: +SKIP
>>> agent.send(call_record, now=t).effect_keys                   # doctest: +SKIP

Rule ids start with the regulation id they encode (``ATT-1.personal-notice``), which is
how the coverage table (:mod:`csrules.policies._coverage`) maps regulations to rules. The
loader is :mod:`csrules.policies.packs`; this package re-exports it.

.. versionadded:: 0.1
"""

from __future__ import annotations

# The loader's one list of names, re-exported whole.
from csrules.policies.packs import *  # noqa: F403
from csrules.policies.packs import __all__ as __all__
