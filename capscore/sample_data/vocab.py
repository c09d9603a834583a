"""Word lists the generator draws names from.

Everything here is static text. Order matters: earlier entries of the weighted
pools are drawn more often (Zipf weights are assigned by position), which is
what makes popular 字号 characters such as 华, 恒, 信 collide across regions
and industries as they do in a real registry.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# 字号 characters in rough order of popularity, with pinyin for English names.
TRADE_CHARS: tuple[tuple[str, str], ...] = tuple(
    (pair[0], pair[1:])
    for pair in _words(
        "华hua 恒heng 信xin 达da 瑞rui 泰tai 鑫xin 利li 创chuang 宏hong 盛sheng 天tian 新xin "
        "金jin 安an 嘉jia 科ke 联lian 中zhong 康kang 源yuan 通tong 丰feng 博bo 海hai 远yuan "
        "力li 德de 隆long 宇yu 佳jia 兴xing 腾teng 凯kai 捷jie 诚cheng 汇hui 明ming 星xing "
        "辰chen 峰feng 锦jin 祥xiang 福fu 盈ying 亿yi 东dong 方fang 正zheng 大da 元yuan 永yong "
        "长chang 世shi 光guang 阳yang 晶jing 微wei 芯xin 智zhi 慧hui 云yun 拓tuo 展zhan 卓zhuo "
        "越yue 优you 赛sai 思si 睿rui 迈mai 驰chi 航hang 禾he 森sen 林lin 青qing 蓝lan 润run "
        "泽ze 洋yang 川chuan 山shan 鼎ding 立li 成cheng 合he 众zhong 和he 美mei 艺yi 精jing "
        "铭ming 振zhen 宝bao 顺shun 吉ji 昌chang 茂mao 荣rong 耀yao 辉hui 亮liang 伟wei 业ye "
        "邦bang 奥ao 欧ou 亚ya 环huan 际ji 万wan 千qian 百bai 一yi 三san 九jiu 恩en 普pu 希xi "
        "益yi 友you 朗lang 柏bai 雅ya 图tu 易yi 迅xun 飞fei 翔xiang 鹏peng 龙long 骏jun 晟sheng "
        "昊hao 旭xu 晨chen 杰jie 俊jun 文wen 江jiang 湾wan 城cheng 京jing 苏su 蜀shu 楚chu 吴wu "
        "汉han 唐tang 秦qin 晋jin 齐qi 鲁lu 宁ning 平ping 乐le 欣xin 怡yi 馨xin 灵ling 能neng "
        "钢gang 铜tong 石shi 玉yu 竹zhu 彩cai 虹hong 霖lin 雪xue 磊lei 淼miao 品pin 尚shang "
        "格ge 致zhi 诺nuo 威wei 特te 斯si 克ke 曼man 迪di 菲fei 莱lai 伦lun 贝bei 舜shun 泓hong "
        "沃wo 麒qi"
    )
)

# Look-alike or same-sound characters people mistype (形近字 / 同音字).
SIMILAR_CHARS: dict[str, str] = dict(
    (pair[0], pair[1])
    for pair in _words(
        "华化 达大 鑫新 瑞锐 泰太 峰锋 辰晨 源元 盛胜 宏弘 捷杰 诚成 汇会 佳家 凯恺 丰风 博搏 "
        "宇羽 兴星 腾藤 锦绵 祥洋 福富 盈赢 亿忆 东冬 永泳 长常 光广 晶品 微徽 智志 慧惠 云芸 "
        "拓托 卓桌 优忧 睿锐 驰弛 航杭 林琳 润闰 泽择 鼎顶 立丽 铭名 振震 宝保 顺舜 荣容 耀曜 "
        "辉挥 伟玮 邦帮 奥澳 欧鸥 际继 恩思 普谱 益溢 朗郎 柏伯 雅亚 易益 迅讯 翔祥 鹏朋 骏俊 "
        "晟昇 昊浩 旭栩 杰洁 俊峻 江汀 湾弯 城诚 宁柠 欣昕 怡贻 馨磬 灵凌 钢刚 铜同 彩采 虹红 "
        "霖林 磊垒 尚上 格阁 致至 诺偌 威葳 特持 斯思 曼漫 迪笛 菲非 莱来 伦轮 恒桓 创仓 天夭 "
        "新薪 金全 安按 嘉佳 联连 中仲 康慷 通桶 远园 隆龙 明名 星醒 技枝 械戒 材村"
    )
)

# Common suffixes that make a 4-character 字号 such as 科亿国际.
TRADE_SUFFIXES: tuple[str, ...] = ("国际", "环球", "中天", "东方", "华夏", "远东", "世纪", "时代")

SURNAMES: str = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS: str = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉鹏飞玲婷雪琳宇浩凯晨欣怡佳俊帆志"
    "斌峰波宁海颖倩慧红兰梅晓东春云龙旭昊睿子梓涵轩博宏健亮成林永新荣德义嘉晶鑫磊晖毅"
)

# Words for streets in addresses.
ROAD_SUFFIXES: tuple[str, ...] = ("路", "大道", "街", "路", "路", "大街", "中路", "东路", "西路")

# Organizational forms in names and the registry legal_form values behind them.
# (form in name, weight, legal_form choices)
ORG_FORMS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    (
        "有限公司",
        0.56,
        (
            "有限责任公司（自然人投资或控股）",
            "有限责任公司（自然人投资或控股）",
            "有限责任公司（自然人投资或控股）",
            "有限责任公司（自然人独资）",
            "其他有限责任公司",
            "有限责任公司（外商投资、非独资）",
        ),
    ),
    (
        "有限责任公司",
        0.24,
        ("有限责任公司（自然人投资或控股）", "有限责任公司（非自然人投资或控股的法人独资）"),
    ),
    (
        "股份有限公司",
        0.14,
        (
            "股份有限公司（非上市、自然人投资或控股）",
            "股份有限公司（非上市、自然人投资或控股）",
            "股份有限公司（上市、自然人投资或控股）",
            "其他股份有限公司（非上市）",
        ),
    ),
    ("集团有限公司", 0.04, ("有限责任公司（自然人投资或控股）",)),
    ("厂", 0.02, ("个人独资企业", "集体所有制")),
)

# How people mis-state an organizational form (legal_form_variant noise).
ORG_FORM_VARIANTS: dict[str, tuple[str, ...]] = {
    "有限公司": ("有限责任公司",),
    "有限责任公司": ("有限公司",),
    "股份有限公司": ("有限公司", "股份公司"),
    "集团有限公司": ("集团公司", "集团有限责任公司"),
    "厂": ("有限公司",),
}

# Universities and institutes that file patents (产学研 partners).
UNIVERSITIES: tuple[str, ...] = (
    "浙江大学",
    "嘉兴学院",
    "嘉兴大学",
    "浙江工业大学",
    "浙江理工大学",
    "杭州电子科技大学",
    "中国计量大学",
    "宁波大学",
    "浙江科技大学",
    "浙江师范大学",
    "温州大学",
    "浙江工商大学",
    "清华大学",
    "北京大学",
    "上海交通大学",
    "复旦大学",
    "同济大学",
    "华东理工大学",
    "东华大学",
    "南京大学",
    "东南大学",
    "南京航空航天大学",
    "南京理工大学",
    "江南大学",
    "苏州大学",
    "中国科学技术大学",
    "合肥工业大学",
    "哈尔滨工业大学",
    "西安交通大学",
    "西北工业大学",
    "华中科技大学",
    "武汉大学",
    "武汉理工大学",
    "中南大学",
    "湖南大学",
    "四川大学",
    "电子科技大学",
    "重庆大学",
    "华南理工大学",
    "中山大学",
    "深圳大学",
    "厦门大学",
    "天津大学",
    "大连理工大学",
    "东北大学",
    "吉林大学",
    "山东大学",
    "北京航空航天大学",
    "北京理工大学",
    "北京科技大学",
    "北京化工大学",
    "北京工业大学",
    "上海大学",
    "江苏大学",
    "河海大学",
    "中国矿业大学",
    "福州大学",
    "郑州大学",
    "兰州大学",
    "嘉兴职业技术学院",
    "嘉兴南洋职业技术学院",
    "浙江机电职业技术学院",
    "浙江同济科技职业学院",
)
INSTITUTES: tuple[str, ...] = (
    "中国科学院宁波材料技术与工程研究所",
    "中国科学院上海微系统与信息技术研究所",
    "中国科学院化学研究所",
    "中国科学院过程工程研究所",
    "中国科学院金属研究所",
    "中国科学院大连化学物理研究所",
    "中国科学院半导体研究所",
    "中国科学院自动化研究所",
    "中国科学院深圳先进技术研究院",
    "中国科学院苏州纳米技术与纳米仿生研究所",
    "中国科学院上海硅酸盐研究所",
    "中国科学院长春应用化学研究所",
    "中国科学院沈阳自动化研究所",
    "中国科学院计算技术研究所",
    "中国科学院电工研究所",
    "中国科学院上海药物研究所",
    "浙江清华长三角研究院",
    "之江实验室",
    "北京大学长三角光电科学研究院",
    "嘉兴市产品质量检验检测院",
    "嘉兴南湖学院",
    "浙江省机电设计研究院有限公司",
    "中国电子科技集团公司第三十六研究所",
    "中国电子科技集团公司第五十五研究所",
    "中国航发北京航空材料研究院",
    "中国建筑材料科学研究总院有限公司",
    "国网浙江省电力有限公司电力科学研究院",
    "中国汽车技术研究中心有限公司",
    "机械科学研究总院集团有限公司",
    "浙江省农业科学院",
    "中国农业科学院茶叶研究所",
    "浙江省化工研究院有限公司",
    "上海市计量测试技术研究院",
)
FOREIGN_FIRMS: tuple[str, ...] = (
    "Siemens AG",
    "Robert Bosch GmbH",
    "BASF SE",
    "Bayer AG",
    "Continental Automotive GmbH",
    "ZF Friedrichshafen AG",
    "Schaeffler Technologies AG & Co. KG",
    "Koninklijke Philips N.V.",
    "ASML Netherlands B.V.",
    "Nokia Technologies Oy",
    "Telefonaktiebolaget LM Ericsson (publ)",
    "ABB Schweiz AG",
    "Nestec S.A.",
    "L'Oreal",
    "Valeo Systemes Thermiques",
    "3M Innovative Properties Company",
    "General Electric Company",
    "Applied Materials, Inc.",
    "Qualcomm Incorporated",
    "Intel Corporation",
    "Apple Inc.",
    "Dow Global Technologies LLC",
    "Corning Incorporated",
    "The Procter & Gamble Company",
    "Medtronic, Inc.",
    "Samsung Electronics Co., Ltd.",
    "LG Chem, Ltd.",
    "LG Energy Solution, Ltd.",
    "Hyundai Motor Company",
    "SK Hynix Inc.",
    "Taiwan Semiconductor Manufacturing Co., Ltd.",
    "Toyota Jidosha Kabushiki Kaisha",
    "Honda Motor Co., Ltd.",
    "Murata Manufacturing Co., Ltd.",
    "株式会社デンソー",
    "ソニーグループ株式会社",
    "パナソニックIPマネジメント株式会社",
    "株式会社村田製作所",
    "ダイキン工業株式会社",
    "キヤノン株式会社",
    "富士フイルム株式会社",
    "日本電気株式会社",
    "株式会社日立製作所",
    "三菱電機株式会社",
    "京セラ株式会社",
)

# Fields named in synthetic research-institute names (XX研究院).
INSTITUTE_FIELDS: tuple[str, ...] = (
    "智能制造",
    "新材料",
    "集成电路",
    "生物医药",
    "新能源",
    "光电技术",
    "工业互联网",
    "智能装备",
)

PROVINCE_SHORT: dict[str, str] = {
    "110000": "北京",
    "120000": "天津",
    "130000": "河北",
    "140000": "山西",
    "150000": "内蒙古",
    "210000": "辽宁",
    "220000": "吉林",
    "230000": "黑龙江",
    "310000": "上海",
    "320000": "江苏",
    "330000": "浙江",
    "340000": "安徽",
    "350000": "福建",
    "360000": "江西",
    "370000": "山东",
    "410000": "河南",
    "420000": "湖北",
    "430000": "湖南",
    "440000": "广东",
    "450000": "广西",
    "460000": "海南",
    "500000": "重庆",
    "510000": "四川",
    "520000": "贵州",
    "530000": "云南",
    "540000": "西藏",
    "610000": "陕西",
    "620000": "甘肃",
    "630000": "青海",
    "640000": "宁夏",
    "650000": "新疆",
}
# Pinyin of the region words English names use; a region without one is left out.
REGION_PINYIN: dict[str, str] = {
    "北京": "Beijing",
    "天津": "Tianjin",
    "河北": "Hebei",
    "山西": "Shanxi",
    "内蒙古": "Inner Mongolia",
    "辽宁": "Liaoning",
    "吉林": "Jilin",
    "黑龙江": "Heilongjiang",
    "上海": "Shanghai",
    "江苏": "Jiangsu",
    "浙江": "Zhejiang",
    "安徽": "Anhui",
    "福建": "Fujian",
    "江西": "Jiangxi",
    "山东": "Shandong",
    "河南": "Henan",
    "湖北": "Hubei",
    "湖南": "Hunan",
    "广东": "Guangdong",
    "广西": "Guangxi",
    "海南": "Hainan",
    "重庆": "Chongqing",
    "四川": "Sichuan",
    "贵州": "Guizhou",
    "云南": "Yunnan",
    "西藏": "Tibet",
    "陕西": "Shaanxi",
    "甘肃": "Gansu",
    "青海": "Qinghai",
    "宁夏": "Ningxia",
    "新疆": "Xinjiang",
    "嘉兴": "Jiaxing",
    "杭州": "Hangzhou",
    "宁波": "Ningbo",
    "温州": "Wenzhou",
    "湖州": "Huzhou",
    "绍兴": "Shaoxing",
    "金华": "Jinhua",
    "衢州": "Quzhou",
    "舟山": "Zhoushan",
    "台州": "Taizhou",
    "丽水": "Lishui",
    "海宁": "Haining",
    "平湖": "Pinghu",
    "桐乡": "Tongxiang",
    "嘉善": "Jiashan",
    "海盐": "Haiyan",
    "南湖": "Nanhu",
    "秀洲": "Xiuzhou",
    "苏州": "Suzhou",
    "南京": "Nanjing",
    "无锡": "Wuxi",
    "常州": "Changzhou",
    "深圳": "Shenzhen",
    "广州": "Guangzhou",
}
