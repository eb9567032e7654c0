"""Word lists the demo draws people and companies from (Chinese and international)."""

from __future__ import annotations

CN_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
CN_SURNAMES_PINYIN = [
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
    "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang",
    "xu", "han", "feng", "deng", "cao", "peng", "zeng", "xiao", "tian", "dong", "yuan", "pan",
]  # fmt: skip
CN_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
            "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "海燕", "志强", "文博", "雨欣"]  # fmt: skip
CN_GIVEN_PINYIN = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong",
                   "yan", "jie", "juan", "tao", "ming", "chao", "xiuying", "xia", "ping", "gang",
                   "guiying", "jianhua", "xiaodong", "haiyan", "zhiqiang", "wenbo", "yuxin"]  # fmt: skip
CN_CITIES = ["上海", "北京", "深圳", "广州", "杭州", "苏州", "成都", "南京", "武汉", "西安"]
CN_COMPANY_WORDS = ["华信", "星辰", "天成", "博远", "鼎盛", "云启", "中科", "瑞丰", "恒通", "宏达",
                    "新元", "金桥", "智联", "汇通", "海纳", "长风", "凯特", "正泰", "东方", "锦程"]  # fmt: skip
CN_COMPANY_KINDS = ["科技", "制造", "信息技术", "电子", "物流", "医疗器械", "软件", "新材料"]
CN_COMPANY_SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司"]

WEST_FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
              "David", "Elizabeth", "William", "Susan", "Thomas", "Sarah", "Daniel", "Karen",
              "Anna", "Lukas", "Sophie", "Max", "Emma", "Oliver", "Chloe", "Noah", "Mia", "Liam"]  # fmt: skip
WEST_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
             "Taylor", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Schmidt",
             "Müller", "Fischer", "Weber", "Tan", "Lim", "Ng", "Dubois", "Martin", "Rossi"]  # fmt: skip
WEST_COMPANY_WORDS = ["Northwind", "Acme", "Globex", "Initech", "Umbrella", "Vertex", "Summit",
                      "Bluepeak", "Ironclad", "Brightline", "Keystone", "Evergreen", "Polaris",
                      "Redwood", "Sterling", "Harbor", "Quantum", "Pinnacle", "Atlas", "Nimbus"]  # fmt: skip
WEST_COMPANY_KINDS = ["Systems", "Logistics", "Manufacturing", "Software", "Health", "Energy",
                      "Foods", "Robotics"]  # fmt: skip
WEST_COMPANY_SUFFIXES = ["Inc.", "LLC", "Ltd.", "GmbH", "Pte. Ltd.", "Co."]

# region code → (share of leads, cities, phone country code, mobile prefix digits)
WEST_REGIONS = {
    "US": (["New York", "Chicago", "Austin", "Seattle", "Boston"], "1"),
    "DE": (["Berlin", "Munich", "Hamburg", "Frankfurt"], "49"),
    "GB": (["London", "Manchester", "Leeds"], "44"),
    "SG": (["Singapore"], "65"),
}

INDUSTRIES = ["manufacturing", "software", "logistics", "healthcare", "retail", "finance",
              "education", "energy"]  # fmt: skip
TITLES = ["CEO", "CTO", "VP Sales", "Head of Marketing", "IT Manager", "Procurement Manager",
          "Operations Director", "Engineer", "Analyst", "Purchasing Specialist"]  # fmt: skip
LOST_REASONS = ["price", "competitor", "no_decision", "timing", "missing_feature"]
COMPETITORS = ["Salesforce", "HubSpot", "Odoo", "Zoho", "纷享销客", "销售易"]
