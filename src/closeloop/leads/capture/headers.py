"""Recognizing spreadsheet headers in English and Chinese, and the user's --map overrides."""

from __future__ import annotations

import re
import unicodedata

from closeloop.errors import Invalid
from closeloop.i18n import N_

# Every field a captured lead can have, with the headers people give it.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "external id", "lead id", "record id", "编号", "线索编号", "客户编号"),
    "full_name": (
        "name",
        "full name",
        "contact",
        "contact name",
        "姓名",
        "联系人",
        "客户姓名",
        "名字",
        "客户名称",
    ),
    "first_name": ("first name", "given name", "firstname", "名"),
    "last_name": ("last name", "surname", "family name", "lastname", "姓"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "account",
        "公司",
        "公司名称",
        "单位",
        "企业",
        "企业名称",
        "工作单位",
    ),
    "email": ("email", "e-mail", "email address", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件"),
    "phone": (
        "phone",
        "mobile",
        "mobile phone",
        "cell",
        "tel",
        "telephone",
        "phone number",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "座机",
        "联系方式",
    ),
    "title": ("title", "job title", "position", "role", "职位", "职务", "头衔"),
    "industry": ("industry", "sector", "行业", "所属行业"),
    "company_size": (
        "company size",
        "employees",
        "headcount",
        "size",
        "公司规模",
        "规模",
        "员工数",
        "员工人数",
    ),
    "city": ("city", "town", "城市", "所在城市"),
    "region": ("country", "region", "country code", "国家", "地区", "国家/地区"),
    "source": ("source", "lead source", "channel", "来源", "线索来源", "渠道"),
    "notes": ("notes", "note", "comments", "comment", "remark", "remarks", "备注", "说明"),
    "landing_url": (
        "landing page",
        "landing url",
        "landing_url",
        "url",
        "page",
        "落地页",
        "来源页面",
        "页面地址",
    ),
    "utm_source": ("utm_source", "utm source"),
    "utm_medium": ("utm_medium", "utm medium"),
    "utm_campaign": ("utm_campaign", "utm campaign", "campaign", "活动"),
    "utm_content": ("utm_content", "utm content", "content", "内容"),
    "form_name": ("form", "form name", "表单"),
    "captured_at": (
        "created",
        "created at",
        "date",
        "time",
        "submitted at",
        "日期",
        "时间",
        "提交时间",
        "创建时间",
    ),
}
FIELDS = tuple(FIELD_ALIASES)


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_\-:：]+", " ", text).strip()


_ALIAS_TO_FIELD = {_header_key(a): f for f, aliases in FIELD_ALIASES.items() for a in aliases}
_ALIAS_TO_FIELD.update({_header_key(f): f for f in FIELDS})


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """--map column=field pairs, validated."""
    mapping = {}
    for pair in pairs:
        column, separator, field = pair.partition("=")
        if not separator or not column.strip():
            raise Invalid(N_("expected column=field, got %(pair)r"), field="map", pair=pair)
        field = field.strip()
        if field not in FIELDS and field != "ignore":
            known = ", ".join(FIELDS)
            raise Invalid(
                N_("unknown field %(name)r (known: %(known)s, or ignore)"),
                field="map",
                name=field,
                known=known,
            )
        mapping[column.strip()] = field
    return mapping


def map_headers(
    headers: list[str], overrides: dict[str, str], *, strict: bool = True
) -> dict[str, str]:
    """Which field each column fills: the user's --map first, then the known aliases.

    Columns nobody recognizes are kept (they go into the lead's notes), never dropped.
    """
    unknown = [column for column in overrides if column not in headers]
    if unknown and strict:
        raise Invalid(
            N_("no column named %(unknown)r in the file"), field="map", unknown=unknown[0]
        )
    mapping = {column: field for column, field in overrides.items() if field != "ignore"}
    taken = set(mapping.values())
    for column in headers:
        if column in overrides:
            continue
        field = _ALIAS_TO_FIELD.get(_header_key(column))
        if field and field not in taken:
            mapping[column] = field
            taken.add(field)
    return mapping
