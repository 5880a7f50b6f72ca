"""A store filled by an earlier version, which shipped one dossier, gets the dossiers
shipped since, once: its default stays, and one removed afterwards stays removed."""

from __future__ import annotations

from pathlib import Path

from briefings.curation import load_dossier
from briefings.store import SHIPPED_OFFERED, Store, shipped_dossier_path


def test_an_old_store_gets_the_new_dossier_once(db_location: str) -> None:
    old = Store.open(db_location, seed=False)  # what an earlier version made
    old.import_dossiers([load_dossier(shipped_dossier_path())])
    assert old.slugs() == ["doha-2020"]
    old.close()

    store = Store.open(db_location)
    assert store.slugs() == ["colombia-2016", "doha-2020"]
    assert store.dossier_slug == "doha-2020"  # the default is still the one it had
    store.remove("colombia-2016")
    store.close()
    again = Store.open(db_location)
    assert again.slugs() == ["doha-2020"]  # offered once, not forced back
    again.close()


def test_a_store_of_ones_own_dossiers_is_left_alone(tmp_path: Path) -> None:
    from slack_support import big_dossier

    own = Store.open(tmp_path / "a.db", seed=False)
    own.import_dossiers([big_dossier(events=3, deadlines=2, sources=2)])
    own.close()
    reopened = Store.open(tmp_path / "a.db")
    assert "doha-2020" not in reopened.slugs() and "colombia-2016" not in reopened.slugs()
    assert reopened._meta(SHIPPED_OFFERED) is None
