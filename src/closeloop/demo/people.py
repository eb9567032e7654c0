"""Companies and the people who become leads: names, e-mails, phones, titles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from closeloop.demo import names
from closeloop.leads.capture.normalize import company_key

CN_WORD_ALIASES = [
    "huaxin",
    "xingchen",
    "tiancheng",
    "boyuan",
    "dingsheng",
    "yunqi",
    "zhongke",
    "ruifeng",
    "hengtong",
    "hongda",
    "xinyuan",
    "jinqiao",
    "zhilian",
    "huitong",
    "haina",
    "changfeng",
    "kaite",
    "zhengtai",
    "dongfang",
    "jincheng",
]
WEST_REGION_CODES = list(names.WEST_REGIONS)
CN_SHARE = 0.6

ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class CompanyPool:
    """Companies leads work for; several leads may share one."""

    name: ObjectArray
    key: ObjectArray  # the matching key of the name (legal form dropped)
    domain: ObjectArray
    industry: ObjectArray
    employees: npt.NDArray[np.int64]
    region: ObjectArray
    city: ObjectArray
    is_cn: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.name)


def _pick(rng: np.random.Generator, options: list[Any], size: int) -> ObjectArray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), size)]


def company_pool(rng: np.random.Generator, size: int) -> CompanyPool:
    """``size`` distinct companies, about 60 % Chinese."""
    is_cn = rng.random(size) < CN_SHARE
    word = rng.integers(0, len(names.CN_COMPANY_WORDS), size)
    kind = rng.integers(0, len(names.CN_COMPANY_KINDS), size)
    cn_city = rng.integers(0, len(names.CN_CITIES), size)
    cn_suffix = _pick(rng, names.CN_COMPANY_SUFFIXES, size)
    west_word = rng.integers(0, len(names.WEST_COMPANY_WORDS), size)
    west_kind = _pick(rng, names.WEST_COMPANY_KINDS, size)
    west_suffix = _pick(rng, names.WEST_COMPANY_SUFFIXES, size)
    region = np.where(is_cn, "CN", _pick(rng, WEST_REGION_CODES, size)).astype(object)
    west_city = np.array(
        [
            names.WEST_REGIONS[r][0][i % len(names.WEST_REGIONS[r][0])] if r != "CN" else ""
            for r, i in zip(region.tolist(), rng.integers(0, 100, size).tolist(), strict=True)
        ],
        dtype=object,
    )
    number = np.arange(size)
    second = rng.integers(0, len(names.CN_COMPANY_SECOND), size)
    name = np.empty(size, dtype=object)
    taken: set[str] = set()
    for n, cn in enumerate(is_cn.tolist()):
        for attempt in range(8):  # a company name is unique, as registration makes it
            if cn:
                pick = (int(second[n]) + attempt) % len(names.CN_COMPANY_SECOND)
                candidate = (
                    f"{names.CN_CITIES[cn_city[n]]}{names.CN_COMPANY_WORDS[word[n]]}"
                    f"{names.CN_COMPANY_SECOND[pick]}{names.CN_COMPANY_KINDS[kind[n]]}"
                    f"{cn_suffix[n]}"
                )
            else:
                candidate = (
                    f"{names.WEST_COMPANY_WORDS[west_word[n]]} {west_kind[n]} "
                    f"{(n + attempt * 7919) % 997 + 1} {west_suffix[n]}"
                )
            if candidate not in taken:
                break
        else:
            candidate = f"{candidate} #{n}"
        taken.add(candidate)
        name[n] = candidate
    domain = np.array(
        [
            f"{CN_WORD_ALIASES[w]}{n}.cn"
            if cn
            else f"{names.WEST_COMPANY_WORDS[ww].lower()}{n}.com"
            for cn, w, ww, n in zip(
                is_cn.tolist(), word.tolist(), west_word.tolist(), number.tolist(), strict=True
            )
        ],
        dtype=object,
    )
    employees = np.round(rng.lognormal(np.log(180), 1.2, size)).astype(np.int64) + 5
    return CompanyPool(
        name=name,
        key=np.array([company_key(n) for n in name.tolist()], dtype=object),
        domain=domain,
        industry=_pick(rng, names.INDUSTRIES, size),
        employees=employees,
        region=region,
        city=np.where(is_cn, np.array(names.CN_CITIES, dtype=object)[cn_city], west_city),
        is_cn=is_cn,
    )


@dataclass(frozen=True)
class People:
    full_name: ObjectArray
    email: ObjectArray
    phone: ObjectArray
    title: ObjectArray


def people(
    rng: np.random.Generator,
    companies: CompanyPool,
    company: npt.NDArray[np.int64],
    first_number: int,
) -> People:
    """One person per entry of ``company`` (indexes into the pool), with a unique e-mail."""
    n = len(company)
    is_cn = companies.is_cn[company]
    surname = rng.integers(0, len(names.CN_SURNAMES), n)
    given = rng.integers(0, len(names.CN_GIVEN), n)
    # Two-character given names (most of them) make people's names about as varied as they are.
    singles = np.array([i for i, g in enumerate(names.CN_GIVEN) if len(g) == 1])
    shape = rng.random(n)  # two single characters (most), one, or a set two-character name
    given = np.where(shape < 0.85, singles[rng.integers(0, len(singles), n)], given)
    given2 = np.where(shape < 0.7, singles[rng.integers(0, len(singles), n)], -1)
    first = rng.integers(0, len(names.WEST_FIRST), n)
    last = rng.integers(0, len(names.WEST_LAST), n)
    domain = companies.domain[company]
    numbers = range(first_number, first_number + n)
    full_name, email = [], []
    for cn, s, g, g2, f, la, d, k in zip(
        is_cn.tolist(),
        surname.tolist(),
        given.tolist(),
        given2.tolist(),
        first.tolist(),
        last.tolist(),
        domain.tolist(),
        numbers,
        strict=True,
    ):
        if cn:
            single = len(names.CN_GIVEN[g]) == 1 and g2 >= 0 and len(names.CN_GIVEN[g2]) == 1
            chars = names.CN_GIVEN[g] + (names.CN_GIVEN[g2] if single else "")
            sound = names.CN_GIVEN_PINYIN[g] + (names.CN_GIVEN_PINYIN[g2] if single else "")
            full_name.append(names.CN_SURNAMES[s] + chars)
            email.append(f"{sound}.{names.CN_SURNAMES_PINYIN[s]}.{k}@{d}")
        else:
            full_name.append(f"{names.WEST_FIRST[f]} {names.WEST_LAST[la]}")
            email.append(f"{names.WEST_FIRST[f].lower()}.{k}@{d}")
    _one_name_per_company(rng, full_name, email, company, is_cn.tolist())
    mobile = rng.integers(13_000_000_000, 19_999_999_999, n)
    west_number = rng.integers(2_000_000_000, 9_999_999_999, n)
    region = companies.region[company]
    phone = [
        f"+86{m}" if r == "CN" else f"+{names.WEST_REGIONS[r][1]}{w}"
        for r, m, w in zip(region.tolist(), mobile.tolist(), west_number.tolist(), strict=True)
    ]
    return People(
        full_name=np.array(full_name, dtype=object),
        email=np.array(email, dtype=object),
        phone=np.array(phone, dtype=object),
        title=_pick(rng, names.TITLES, n),
    )


def duplicate_people(
    rng: np.random.Generator,
    person: People,
    copies: npt.NDArray[np.int64],
    original: npt.NDArray[np.int64],
) -> None:
    """Make each of ``copies`` the person at ``original`` again, as people re-enter themselves:
    a typo or another order in the name, e-mail in capitals or left out, another phone."""
    for i in copies.tolist():
        source = int(original[i])
        name = str(person.full_name[source])
        roll = rng.random()
        if not name.isascii():
            if roll < 0.2:
                name = name[0] + " " + name[1:]
            elif roll < 0.35 and len(name) > 2:
                name = name[:-1]
        elif roll < 0.2:
            name = " ".join(reversed(name.split(" ")))
        elif roll < 0.45:
            k = int(rng.integers(1, max(2, len(name) - 1)))
            name = name[:k] + name[k + 1 :] if name[k] != " " else name
        person.full_name[i] = name
        roll = rng.random()
        email = person.email[source]
        person.email[i] = email if roll < 0.5 else email.upper() if roll < 0.6 else None
        roll = rng.random()
        if roll < 0.5:
            person.phone[i] = person.phone[source]
        elif roll < 0.7:
            person.phone[i] = None


def _one_name_per_company(
    rng: np.random.Generator,
    full_name: list[str],
    email: list[str],
    company: npt.NDArray[np.int64],
    is_cn: list[bool],
) -> None:
    """Two different people of one company never share a name: the demo's only same-name
    colleagues are its true duplicates, so its ground truth is unambiguous."""
    seen: set[tuple[int, str]] = set()
    for i, firm in enumerate(company.tolist()):
        while (firm, full_name[i]) in seen:
            extra = names.CN_GIVEN[int(rng.integers(0, len(names.CN_GIVEN)))]
            last = names.WEST_LAST[int(rng.integers(0, len(names.WEST_LAST)))]
            full_name[i] = (
                full_name[i][:2] + extra if is_cn[i] else f"{full_name[i].split()[0]} {last}"
            )
        seen.add((firm, full_name[i]))
