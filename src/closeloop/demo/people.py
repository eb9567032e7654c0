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
    name = np.array(
        [
            f"{names.CN_CITIES[c]}{names.CN_COMPANY_WORDS[w]}{names.CN_COMPANY_KINDS[k]}{s}"
            if cn
            else f"{names.WEST_COMPANY_WORDS[ww]} {wk} {n % 97 + 1} {ws}"
            for cn, c, w, k, s, ww, wk, ws, n in zip(
                is_cn.tolist(),
                cn_city.tolist(),
                word.tolist(),
                kind.tolist(),
                cn_suffix.tolist(),
                west_word.tolist(),
                west_kind.tolist(),
                west_suffix.tolist(),
                number.tolist(),
                strict=True,
            )
        ],
        dtype=object,
    )
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
    first = rng.integers(0, len(names.WEST_FIRST), n)
    last = rng.integers(0, len(names.WEST_LAST), n)
    domain = companies.domain[company]
    numbers = range(first_number, first_number + n)
    full_name, email = [], []
    for cn, s, g, f, la, d, k in zip(
        is_cn.tolist(),
        surname.tolist(),
        given.tolist(),
        first.tolist(),
        last.tolist(),
        domain.tolist(),
        numbers,
        strict=True,
    ):
        if cn:
            full_name.append(names.CN_SURNAMES[s] + names.CN_GIVEN[g])
            email.append(f"{names.CN_GIVEN_PINYIN[g]}.{names.CN_SURNAMES_PINYIN[s]}.{k}@{d}")
        else:
            full_name.append(f"{names.WEST_FIRST[f]} {names.WEST_LAST[la]}")
            email.append(f"{names.WEST_FIRST[f].lower()}.{k}@{d}")
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
