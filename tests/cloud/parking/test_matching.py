"""Matching an exit read to an open session: one confusable misread, never an unrelated plate."""

from cloud.parking.matching import best_match, misreads


def test_exact_plate_matches() -> None:
    assert best_match("京A12345", ["京A12345", "京A12346"]) == "京A12345"


def test_one_confusable_misread_matches() -> None:
    assert best_match("京A1234D", ["京A12340"]) == "京A12340"  # D read for 0
    assert best_match("京A8C123", ["京ABC123"]) == "京ABC123"  # 8 read for B
    assert best_match("沪BQ1234", ["沪B01234"]) == "沪B01234"  # Q read for 0
    assert best_match("京a-12340", ["京A12340"]) == "京A12340"  # separators, lower case


def test_an_unrelated_plate_does_not_match() -> None:
    assert best_match("京A12345", ["京A12346"]) is None  # 5 and 6 are not confused
    assert best_match("京A12345", ["沪A12345"]) is None  # another province
    assert best_match("京A1234D", ["京A1234Q", "京A12340"]) is None  # two near: ambiguous
    assert best_match("京A1D34D", ["京A10340"]) is None  # two misreads are too many


def test_confusions_only_where_the_format_allows_them() -> None:
    # The authority letter D may be a Q (also a letter) but never a 0.
    assert misreads("京D12345") == {"京Q12345"}
    # A large new-energy plate ends in D or F: that D is never a 0 or a Q.
    assert misreads("皖A12345D") == set()
    # …while a 0 read where only D or F can stand is that D.
    assert best_match("皖A123450", ["皖A12345D"]) == "皖A12345D"
    # A standard serial's last character may be a digit or a letter: all three ways.
    assert misreads("京A1234D") == {"京A12340", "京A1234Q"}
