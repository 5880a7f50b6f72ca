"""The live dossier written back as a curated file: `accord-bot store export`.

Dates are written plain (`2020-03-05`, as curators write them); everything else is what
the curated file holds, keys in the file's own order.

    >>> from briefings.model import Dossier, DossierInfo
    >>> from datetime import date
    >>> print(dossier_yaml(Dossier(DossierInfo("x", "X", date(2020, 1, 2), (), ""))), end="")
    dossier:
      slug: x
      title: X
      signed: 2020-01-02
    sources: []
    events: []
    deadlines: []
"""

from __future__ import annotations

import yaml

from briefings.model import Dossier
from briefings.records import curated_file


class _Dumper(yaml.SafeDumper):
    pass


# Without the timestamp resolver a date string needs no quotes to stay a string when read
# back by the curated loader (which has no timestamp resolver either).
_Dumper.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def dossier_yaml(dossier: Dossier) -> str:
    """The dossier as curated YAML text."""
    return yaml.dump(
        curated_file(dossier),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
