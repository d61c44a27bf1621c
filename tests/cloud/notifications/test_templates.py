"""Every notice reads in Chinese and English with the same blanks to fill."""

import string

import pytest

from cloud.errors import Invalid
from cloud.notifications import templates


def _blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(templates.TEMPLATES))
def test_both_languages_fill_the_same_blanks(key: str) -> None:
    texts = templates.TEMPLATES[key]
    assert set(texts) == set(templates.LANGUAGES)
    (zh_subject, zh_body), (en_subject, en_body) = texts["zh"], texts["en"]
    assert _blanks(zh_subject) | _blanks(zh_body) == _blanks(en_subject) | _blanks(en_body)


def test_an_unknown_language_reads_chinese_and_a_missing_blank_is_refused() -> None:
    assert templates.render("test.hello", "fr", {"name": "Li"}) == ("你好 Li", "这是一条测试通知。")
    with pytest.raises(Invalid) as refused:
        templates.render("test.hello", "en", {})
    assert refused.value.field == "params"
    with pytest.raises(Invalid):
        templates.render("no.such", "en", {})
