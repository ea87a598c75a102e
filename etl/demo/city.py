"""The fictional prefecture city of the demo: regions, departments, services, places, calendar, planted problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

DEFAULT_END = dt.date(2026, 10, 31)
CITY = "清源市"
CITY_CODE = "439900"
APP = "i清源"

# (areaCode, name, hall name, share of district-level ratings)
REGIONS = [
    ("439900", "清源市", "清源市民中心", 0.0),
    ("439902", "清溪区", "清溪区政务服务中心", 0.20),
    ("439903", "白沙区", "白沙区政务服务中心", 0.14),
    ("439904", "望江区", "望江区政务服务中心", 0.14),
    ("439905", "龙泉区", "龙泉区政务服务中心", 0.12),
    ("439921", "青石县", "青石县政务服务中心", 0.10),
    ("439922", "桃川县", "桃川县政务服务中心", 0.09),
    ("439923", "云山县", "云山县政务服务中心", 0.08),
    ("439981", "临江市", "临江市政务服务中心", 0.13),
]

# Department: (name without the city, kind 11 机关 / 12 事业单位, services).
# Service: (taskName, colloquial aliases, volume weight, difficulty 0..1, online share, legal-person share,
#           promised working days, sub-matters separated by "/").
DEPARTMENTS: list[tuple[str, str, list[tuple]]] = [
    ("人力资源和社会保障局", "11", [
        ("社会保障卡申领", "社保卡/社保卡", 60, 0.45, 0.30, 0.0, 7, "首次申领/补领/换领"),
        ("参保信息查询打印", "参保证明/社保缴费证明", 38, 0.15, 0.70, 0.05, 0, ""),
        ("养老保险待遇资格认证", "养老金认证/资格认证", 26, 0.25, 0.80, 0.0, 0, ""),
        ("失业保险金申领", "失业金/失业保险金", 12, 0.55, 0.55, 0.0, 10, ""),
        ("灵活就业人员参保登记", "灵活就业参保/社保参保", 10, 0.35, 0.60, 0.0, 1, ""),
        ("人才租房补贴申领", "租房补贴/人才补贴", 15, 0.55, 0.75, 0.0, 20, "本科/硕士研究生/博士研究生"),
        ("职工基本养老保险关系转移接续", "社保转移/养老保险转移", 8, 0.60, 0.50, 0.0, 15, ""),
        ("企业职工基本养老保险待遇申领", "退休审批/退休手续", 6, 0.60, 0.25, 0.0, 20, ""),
        ("高校毕业生就业见习补贴申领", "见习补贴", 3, 0.50, 0.60, 0.65, 20, ""),
        ("职业技能等级证书查询", "技能证书查询", 3, 0.15, 0.90, 0.0, 0, ""),
        ("工伤认定申请", "工伤认定", 2, 0.80, 0.20, 0.30, 60, ""),
        ("单位参保登记", "单位参保/企业社保开户", 5, 0.30, 0.70, 1.0, 1, ""),
        ("就业创业证申领", "就业创业证/失业登记", 4, 0.30, 0.60, 0.0, 1, ""),
        ("创业担保贷款申请", "创业贷款/创业担保贷", 2, 0.65, 0.40, 0.20, 20, ""),
    ]),
    ("公安局", "11", [
        ("居民身份证换领", "身份证/换身份证", 52, 0.30, 0.08, 0.0, 20, ""),
        ("居民身份证挂失补领", "补办身份证/身份证补办", 15, 0.30, 0.10, 0.0, 20, ""),
        ("临时居民身份证核发", "临时身份证", 6, 0.20, 0.0, 0.0, 0, ""),
        ("户口迁移登记", "迁户口/户口迁移", 8, 0.55, 0.25, 0.0, 5, "市内迁移/投靠迁入/人才落户"),
        ("出生登记", "新生儿上户口/上户口", 7, 0.30, 0.30, 0.0, 1, ""),
        ("居住证核发", "居住证", 12, 0.40, 0.40, 0.0, 15, ""),
        ("普通护照签发", "护照/办护照", 20, 0.30, 0.20, 0.0, 7, "首次申领/换发/补发"),
        ("往来港澳通行证及签注签发", "港澳通行证/签注", 18, 0.20, 0.45, 0.0, 7, ""),
        ("机动车驾驶证期满换证", "驾驶证换证/换驾照", 20, 0.20, 0.50, 0.0, 0, ""),
        ("机动车注册登记", "新车上牌/上牌", 12, 0.30, 0.10, 0.15, 0, ""),
        ("机动车检验合格标志核发", "年检标志/车辆年检", 22, 0.15, 0.70, 0.10, 0, ""),
        ("无犯罪记录证明开具", "无犯罪记录证明/无犯罪证明", 9, 0.40, 0.55, 0.0, 3, ""),
        ("机动车驾驶证遗失补证", "补驾照/驾驶证补证", 4, 0.25, 0.45, 0.0, 0, ""),
        ("户籍证明开具", "户籍证明/户口证明", 6, 0.35, 0.40, 0.0, 1, ""),
        ("机动车临时号牌核发", "临时牌照/临牌", 5, 0.20, 0.30, 0.10, 0, ""),
        ("养犬登记证核发", "狗证/养犬登记", 2, 0.30, 0.60, 0.0, 5, ""),
    ]),
    ("市场监督管理局", "11", [
        ("个体工商户设立登记", "个体户执照/办营业执照", 24, 0.30, 0.70, 0.95, 1, ""),
        ("企业设立登记", "公司注册/办执照", 15, 0.35, 0.80, 1.0, 1, "有限责任公司/个人独资企业/合伙企业"),
        ("企业变更登记", "公司变更/执照变更", 12, 0.35, 0.80, 1.0, 1, ""),
        ("个体工商户变更登记", "个体户变更", 8, 0.25, 0.70, 0.95, 1, ""),
        ("企业注销登记", "公司注销/注销", 5, 0.65, 0.60, 1.0, 20, "简易注销/一般注销"),
        ("食品经营许可证核发", "食品经营许可证/食品许可证", 10, 0.50, 0.55, 0.90, 10, "新办/延续/变更"),
        ("营业执照遗失补领", "补执照", 3, 0.20, 0.70, 1.0, 1, ""),
        ("特种设备使用登记", "特种设备登记/电梯登记", 3, 0.40, 0.50, 1.0, 5, ""),
        ("计量器具强制检定", "计量检定", 2, 0.35, 0.30, 0.90, 10, ""),
        ("药品零售企业许可证核发", "药店许可证", 2, 0.55, 0.50, 1.0, 15, ""),
        ("食品生产许可证核发", "食品生产许可", 1.5, 0.65, 0.50, 1.0, 20, ""),
        ("工业产品生产许可证核发", "生产许可证", 0.5, 0.60, 0.60, 1.0, 20, ""),
    ]),
    ("自然资源和规划局", "11", [
        ("建设工程规划许可证核发", "工程规划许可/规划许可证", 2, 0.80, 0.30, 1.0, 20, ""),
        ("建设用地规划许可证核发", "用地规划许可", 1, 0.80, 0.30, 1.0, 20, ""),
        ("建设工程规划条件核实", "规划核实", 1.5, 0.70, 0.30, 1.0, 15, ""),
        ("乡村建设规划许可", "农村建房规划许可/建房许可", 2, 0.70, 0.15, 0.0, 20, ""),
        ("测绘成果提供", "测绘成果/地形图", 1, 0.30, 0.40, 0.70, 5, ""),
        ("地名核准", "地名核准/小区命名", 0.5, 0.40, 0.40, 1.0, 20, ""),
    ]),
    ("不动产登记中心", "12", [
        ("二手房转移登记", "过户/二手房过户", 20, 0.55, 0.15, 0.05, 5, ""),
        ("新建商品房转移登记", "新房办证/房产证", 12, 0.55, 0.20, 0.05, 5, ""),
        ("不动产抵押登记", "抵押登记/办抵押", 14, 0.40, 0.40, 0.30, 3, ""),
        ("不动产抵押注销登记", "解押/抵押注销", 10, 0.30, 0.50, 0.20, 1, ""),
        ("个人名下房产证明查询", "房产证明/无房证明", 24, 0.15, 0.55, 0.0, 0, ""),
        ("不动产权证书补证换证", "补办房产证/换证", 3, 0.50, 0.10, 0.0, 10, ""),
        ("不动产继承登记", "继承过户/继承", 3, 0.80, 0.05, 0.0, 10, ""),
        ("不动产更正登记", "更正登记", 1.5, 0.60, 0.10, 0.10, 10, ""),
        ("不动产登记资料查询", "查档/产权查询", 8, 0.20, 0.50, 0.10, 0, ""),
    ]),
    ("医疗保障局", "11", [
        ("医保异地就医备案", "异地就医备案/异地备案", 25, 0.35, 0.75, 0.0, 0, "异地长期居住/异地工作/转诊"),
        ("城乡居民医保参保缴费", "居民医保缴费/交医保", 15, 0.20, 0.85, 0.0, 0, ""),
        ("医保参保登记", "医保参保/医保登记", 12, 0.30, 0.50, 0.20, 1, ""),
        ("门诊慢特病待遇认定", "慢特病认定/慢病卡", 8, 0.60, 0.30, 0.0, 15, ""),
        ("医疗费用零星报销", "医保报销/手工报销", 10, 0.60, 0.30, 0.0, 20, ""),
        ("医保关系转移接续", "医保转移", 5, 0.50, 0.60, 0.0, 15, ""),
        ("生育津贴申领", "生育津贴/生育报销", 4, 0.50, 0.55, 0.30, 15, ""),
        ("医保个人账户家庭共济绑定", "家庭共济", 6, 0.20, 0.85, 0.0, 0, ""),
        ("医保参保凭证打印", "医保参保证明/参保凭证", 6, 0.15, 0.75, 0.10, 0, ""),
    ]),
    ("住房公积金管理中心", "12", [
        ("住房公积金提取", "公积金提取/提公积金/取公积金", 45, 0.30, 0.80, 0.0, 3, "租房提取/购房提取/还贷提取/退休提取"),
        ("住房公积金个人贷款", "公积金贷款", 8, 0.60, 0.30, 0.0, 15, ""),
        ("住房公积金缴存证明打印", "公积金缴存证明", 10, 0.15, 0.80, 0.0, 0, ""),
        ("住房公积金异地转移接续", "公积金转移", 4, 0.45, 0.70, 0.0, 15, ""),
        ("个人住房公积金账户设立", "公积金开户", 5, 0.25, 0.60, 0.70, 1, ""),
        ("单位住房公积金缴存登记", "单位公积金开户", 3, 0.30, 0.70, 1.0, 1, ""),
        ("住房公积金缴存基数调整", "调基数/基数调整", 4, 0.25, 0.80, 1.0, 1, ""),
        ("住房公积金缴存信息变更", "公积金信息变更", 2, 0.25, 0.75, 0.30, 1, ""),
    ]),
    ("税务局", "11", [
        ("个人所得税综合所得汇算清缴", "个税汇算/退税", 15, 0.30, 0.95, 0.0, 0, ""),
        ("发票领用", "领发票/申领发票", 12, 0.25, 0.80, 1.0, 0, ""),
        ("房产交易契税申报", "交契税/契税", 10, 0.45, 0.20, 0.0, 0, ""),
        ("车辆购置税申报", "购置税", 8, 0.25, 0.50, 0.10, 0, ""),
        ("灵活就业人员社保费缴纳", "交社保/社保费", 8, 0.20, 0.90, 0.0, 0, ""),
        ("增值税小规模纳税人申报", "报税/增值税申报", 6, 0.30, 0.95, 1.0, 0, ""),
        ("个人完税证明开具", "完税证明", 6, 0.15, 0.90, 0.0, 0, ""),
        ("税务登记信息确认", "税务登记", 5, 0.30, 0.70, 1.0, 0, ""),
        ("个人代开增值税发票", "代开发票", 5, 0.35, 0.60, 0.0, 0, ""),
    ]),
    ("交通运输局", "11", [
        ("道路运输证年审", "运输证年审", 5, 0.30, 0.50, 0.80, 1, ""),
        ("网络预约出租汽车驾驶员证核发", "网约车驾驶证/网约车证", 3, 0.50, 0.50, 0.0, 10, ""),
        ("道路运输从业资格证换证", "从业资格证", 3, 0.30, 0.60, 0.0, 5, ""),
        ("道路货物运输经营许可", "道路运输许可", 2, 0.50, 0.50, 1.0, 10, ""),
        ("出租汽车驾驶员从业资格注册", "出租车资格注册", 1.5, 0.30, 0.40, 0.0, 5, ""),
        ("超限运输车辆行驶公路许可", "超限许可", 1, 0.60, 0.60, 1.0, 5, ""),
        ("机动车维修经营备案", "汽修备案", 1, 0.30, 0.60, 1.0, 5, ""),
    ]),
    ("民政局", "11", [
        ("结婚登记", "结婚登记/领结婚证", 15, 0.05, 0.05, 0.0, 0, ""),
        ("离婚登记", "离婚登记", 4, 0.30, 0.05, 0.0, 30, ""),
        ("高龄津贴申领", "高龄津贴/高龄补贴", 6, 0.30, 0.30, 0.0, 20, ""),
        ("最低生活保障审核确认", "低保/低保申请", 3, 0.75, 0.20, 0.0, 30, ""),
        ("困难残疾人生活补贴申领", "残疾人补贴/两项补贴", 2, 0.50, 0.30, 0.0, 20, ""),
        ("社会团体成立登记", "社团登记", 0.5, 0.50, 0.40, 1.0, 30, ""),
        ("婚姻登记记录证明", "婚姻状况证明", 2, 0.20, 0.40, 0.0, 0, ""),
        ("收养登记", "收养登记", 0.3, 0.70, 0.05, 0.0, 30, ""),
    ]),
    ("卫生健康委员会", "11", [
        ("出生医学证明签发", "出生证/出生证明", 8, 0.30, 0.20, 0.0, 0, ""),
        ("生育登记", "生育登记/准生证", 8, 0.15, 0.90, 0.0, 0, ""),
        ("医师执业注册", "医师注册", 2, 0.40, 0.80, 0.0, 20, ""),
        ("护士执业注册", "护士注册", 2, 0.35, 0.80, 0.0, 20, ""),
        ("公共场所卫生许可证核发", "卫生许可证", 3, 0.50, 0.50, 1.0, 15, ""),
        ("医疗机构执业许可", "诊所许可/诊所执业许可", 0.5, 0.75, 0.40, 1.0, 30, ""),
        ("独生子女父母奖励申领", "独生子女奖励", 2, 0.35, 0.40, 0.0, 20, ""),
    ]),
    ("教育局", "11", [
        ("义务教育阶段入学报名", "入学报名/小学报名", 10, 0.50, 0.90, 0.0, 0, ""),
        ("教师资格认定", "教师资格证认定/教资认定", 5, 0.40, 0.60, 0.0, 30, ""),
        ("学籍证明开具", "学籍证明", 2, 0.30, 0.40, 0.0, 3, ""),
        ("家庭经济困难学生资助申请", "助学金", 3, 0.40, 0.50, 0.0, 15, ""),
        ("民办学校办学许可", "办学许可", 0.3, 0.80, 0.30, 1.0, 30, ""),
        ("校外培训机构设立审批", "培训机构审批", 0.3, 0.80, 0.30, 1.0, 30, ""),
        ("普通话水平测试证书补办", "普通话证书补办", 0.5, 0.30, 0.80, 0.0, 15, ""),
    ]),
    ("住房和城乡建设局", "11", [
        ("商品房买卖合同网签备案", "网签/合同备案", 15, 0.35, 0.50, 0.10, 1, ""),
        ("公共租赁住房申请", "公租房/申请公租房", 5, 0.70, 0.40, 0.0, 30, ""),
        ("建筑工程施工许可证核发", "施工许可证", 2, 0.60, 0.50, 1.0, 7, ""),
        ("住宅专项维修资金使用审核", "维修基金/维修资金", 1.5, 0.70, 0.30, 0.50, 15, ""),
        ("商品房预售许可", "预售许可证", 0.8, 0.70, 0.30, 1.0, 10, ""),
        ("建筑业企业资质核准", "资质审批/建筑资质", 1, 0.60, 0.80, 1.0, 20, ""),
        ("燃气经营许可证核发", "燃气许可", 0.3, 0.60, 0.40, 1.0, 20, ""),
        ("存量房交易资金监管", "资金监管/交易资金监管", 4, 0.45, 0.30, 0.05, 3, ""),
    ]),
    ("生态环境局", "11", [
        ("建设项目环境影响评价审批", "环评审批/环评", 1, 0.70, 0.50, 1.0, 20, ""),
        ("排污许可证核发", "排污许可证", 1, 0.60, 0.70, 1.0, 20, ""),
        ("危险废物转移审批", "危废转移", 0.5, 0.50, 0.80, 1.0, 10, ""),
        ("辐射安全许可证核发", "辐射许可", 0.3, 0.50, 0.60, 1.0, 20, ""),
    ]),
    ("城市管理和综合执法局", "11", [
        ("城市道路挖掘许可", "挖路许可/占道挖掘", 1, 0.50, 0.40, 0.80, 5, ""),
        ("户外广告设施设置审批", "招牌审批/店招审批", 1.5, 0.45, 0.40, 0.90, 5, ""),
        ("建筑垃圾处置核准", "渣土处置/建筑垃圾核准", 1, 0.50, 0.50, 1.0, 5, ""),
        ("临时占用城市绿地审批", "占用绿地", 0.5, 0.50, 0.40, 0.80, 5, ""),
        ("城镇污水排入排水管网许可", "排水许可", 0.8, 0.50, 0.50, 1.0, 10, ""),
    ]),
    ("司法局", "11", [
        ("法律援助申请", "法律援助", 3, 0.40, 0.30, 0.0, 7, ""),
        ("公证服务", "公证/办公证", 4, 0.40, 0.30, 0.10, 15, "学历公证/委托公证/亲属关系公证"),
        ("人民调解申请", "调解", 1.5, 0.50, 0.20, 0.0, 30, ""),
        ("律师执业许可", "律师执业证", 0.3, 0.40, 0.60, 0.0, 20, ""),
    ]),
    ("农业农村局", "11", [
        ("农机购置补贴申领", "农机补贴", 3, 0.60, 0.30, 0.20, 30, ""),
        ("动物防疫条件合格证核发", "防疫合格证", 0.8, 0.50, 0.30, 1.0, 20, ""),
        ("农药经营许可", "农药许可", 0.5, 0.50, 0.40, 1.0, 20, ""),
        ("渔业捕捞许可证核发", "捕捞证", 0.5, 0.40, 0.20, 0.0, 20, ""),
        ("兽药经营许可证核发", "兽药许可", 0.3, 0.50, 0.40, 1.0, 20, ""),
        ("农作物种子生产经营许可", "种子许可", 0.3, 0.50, 0.40, 1.0, 20, ""),
    ]),
    ("文化广电旅游体育局", "11", [
        ("营业性演出审批", "演出审批", 1, 0.45, 0.60, 1.0, 3, ""),
        ("娱乐场所经营许可", "娱乐场所许可/KTV许可", 0.5, 0.60, 0.40, 1.0, 20, ""),
        ("旅行社设立许可", "旅行社许可", 0.3, 0.50, 0.50, 1.0, 20, ""),
        ("互联网上网服务营业场所经营许可", "网吧许可", 0.3, 0.60, 0.40, 1.0, 20, ""),
        ("高危险性体育项目经营许可", "游泳馆许可", 0.3, 0.50, 0.40, 1.0, 20, ""),
        ("导游证核发", "导游证", 0.3, 0.30, 0.90, 0.0, 20, ""),
    ]),
    ("退役军人事务局", "11", [
        ("退役军人优待证申领", "优待证", 4, 0.30, 0.40, 0.0, 20, ""),
        ("退役士兵安置", "退役安置", 1, 0.60, 0.10, 0.0, 30, ""),
        ("伤残抚恤关系接收", "抚恤接收", 0.5, 0.50, 0.10, 0.0, 20, ""),
    ]),
    ("残疾人联合会", "12", [
        ("残疾人证办理", "残疾证/办残疾证", 4, 0.55, 0.20, 0.0, 20, ""),
        ("残疾人证换领", "换残疾证", 2, 0.40, 0.20, 0.0, 20, ""),
    ]),
    ("水利局", "11", [
        ("取水许可", "取水许可", 0.5, 0.60, 0.40, 1.0, 20, ""),
        ("河道管理范围内建设项目审批", "涉河审批", 0.3, 0.70, 0.30, 1.0, 20, ""),
    ]),
]

CONTROL_SERVICE = "社会保障卡申领"
# Month multipliers for seasonal services (others are flat)
SEASON: dict[str, dict[int, float]] = {
    "个人所得税综合所得汇算清缴": {1: 0.2, 2: 0.2, 3: 3.0, 4: 3.0, 5: 2.2, 6: 2.5, 7: 0.4, 8: 0.3, 9: 0.2, 10: 0.2,
                                  11: 0.2, 12: 0.2},
    "义务教育阶段入学报名": {m: (3.5 if m in (6, 7) else 2.0 if m == 8 else 0.15) for m in range(1, 13)},
    "人才租房补贴申领": {6: 1.4, 7: 2.0, 8: 1.8, 9: 1.4},
    "城乡居民医保参保缴费": {m: (2.4 if m in (9, 10, 11, 12) else 0.5) for m in range(1, 13)},
    "养老保险待遇资格认证": {1: 1.3, 2: 0.8, 7: 1.3},
    "教师资格认定": {5: 2.5, 6: 2.5, 11: 2.0, 12: 1.5},
}

# Places for 12345 messages: (name, kind, district name)
PLACES: list[tuple[str, str, str]] = [
    (n, "estate", d) for n, d in [
        ("翠湖湾小区", "望江区"), ("锦江花园", "清溪区"), ("金桂苑", "白沙区"), ("阳光新城", "龙泉区"),
        ("和平里小区", "清溪区"), ("滨江一号", "望江区"), ("城南家园", "白沙区"), ("紫荆园", "清溪区"),
        ("春晖小区", "龙泉区"), ("福源小区", "临江市"), ("望江府", "望江区"), ("龙泉山庄", "龙泉区"),
        ("白沙新村", "白沙区"), ("清溪雅苑", "清溪区"), ("桂花坪小区", "白沙区"), ("天鹅湖小区", "临江市"),
        ("幸福家园", "青石县"), ("梧桐苑", "清溪区"), ("铁路新村", "白沙区"), ("纺织厂宿舍", "望江区"),
        ("水岸名都", "临江市"), ("盛世华庭", "龙泉区"), ("青石花园", "青石县"), ("御景湾", "临江市"),
        ("云山小镇", "云山县"), ("凤凰城", "桃川县"), ("丽景湾", "望江区"), ("康乐小区", "桃川县"),
        ("建设新村", "清溪区"), ("书香门第小区", "龙泉区"),
    ]
] + [
    (n, "road", d) for n, d in [
        ("梧桐大道", "清溪区"), ("建设路", "清溪区"), ("人民中路", "白沙区"), ("解放西路", "白沙区"),
        ("滨江路", "望江区"), ("新华路", "望江区"), ("青年路", "龙泉区"), ("环城北路", "清溪区"),
        ("高铁站大道", "龙泉区"), ("龙泉大道", "龙泉区"), ("学府路", "白沙区"), ("工业大道", "临江市"),
        ("临江大道", "临江市"), ("云山路", "云山县"), ("迎宾大道", "青石县"), ("朝阳街", "桃川县"),
    ]
] + [
    (n, "school", d) for n, d in [
        ("清源市第一中学", "清溪区"), ("清溪区实验小学", "清溪区"), ("白沙区第二小学", "白沙区"),
        ("望江中学", "望江区"), ("龙泉区育才小学", "龙泉区"), ("临江市第三中学", "临江市"),
        ("青石县第一中学", "青石县"), ("学府路小学", "白沙区"), ("城南中学", "白沙区"), ("望江区机关幼儿园", "望江区"),
    ]
] + [
    (n, "market", d) for n, d in [
        ("南门菜市场", "清溪区"), ("白沙农贸市场", "白沙区"), ("东街综合市场", "望江区"),
        ("龙泉农贸市场", "龙泉区"), ("临江水产市场", "临江市"), ("桃川县城关市场", "桃川县"),
    ]
] + [
    (n, "bus", d) for n, d in [
        ("3路公交", "清溪区"), ("6路公交", "白沙区"), ("11路公交", "望江区"), ("17路公交", "龙泉区"),
        ("22路公交", "清溪区"), ("35路公交", "临江市"), ("K2路公交", "龙泉区"), ("208路城乡公交", "青石县"),
        ("夜班1路公交", "清溪区"),
    ]
] + [
    (n, "park", d) for n, d in [
        ("滨江公园", "望江区"), ("清溪湿地公园", "清溪区"), ("龙泉山公园", "龙泉区"), ("人民广场", "白沙区"),
    ]
]

# Planted problems: the descriptive part (mirrored in tests/fixtures/planted_problems.json) ...
PLANTED: list[dict] = [
    {"id": "P1_gjj_online_outage", "kind": "rating", "service": "住房公积金提取", "place": None,
     "department": "清源市住房公积金管理中心", "category": "online_platform",
     "start": "2026-06-08", "end": "2026-06-21", "channels": [1, 2],
     "keywords": ["登录", "人脸识别", "上传", "闪退", "打不开"],
     "description": "公积金提取的网上系统（i清源APP和政务服务网）故障两周：登录失败、人脸识别不过、材料上传不了、"
                    "APP闪退，移动端和PC端差评集中爆发（211/112），同期有少量12345留言。"},
    {"id": "P2_bdc_queue_growth", "kind": "rating", "service": None, "place": "不动产登记服务大厅",
     "department": "清源市不动产登记中心", "category": "queue_onsite",
     "start": "2026-04-01", "end": "2026-06-30", "channels": [4, 5],
     "keywords": ["排队", "等了", "窗口", "取号", "叫号"],
     "description": "不动产登记中心大厅等候时间在一个季度内持续变长：大厅渠道的基本满意和不满意逐月上升，"
                    "评论集中在排队久、窗口开得少、取号难、过号。"},
    {"id": "P3_yb_extra_materials", "kind": "rating", "service": "医保异地就医备案", "place": None,
     "department": "清源市医疗保障局", "category": "materials",
     "start": "2026-08-03", "end": "2026-09-13", "channels": None,
     "keywords": ["居住证明", "证明", "盖章", "材料", "补"],
     "description": "8月3日起异地就医备案被要求额外提供居住证明和单位盖章的工作证明（办事指南外材料），"
                    "差评（109/210）和反复补材料的评论突然增多，9月中旬取消后回落。"},
    {"id": "P4_baisha_staff_attitude", "kind": "rating", "service": None, "place": "白沙区政务服务中心",
     "department": "清源市公安局", "category": "staff_attitude",
     "start": "2026-03-02", "end": "2026-05-29", "channels": [4, 5], "areaCode": "439903", "proManager": "孙丽萍",
     "keywords": ["态度", "不耐烦", "玩手机", "凶"],
     "description": "白沙区政务服务中心公安窗口一名经办人态度生硬：差评标签214/115集中，"
                    "不少满意评价的文字也在抱怨态度（隐性投诉）。"},
    {"id": "P5_cuihuwan_certificates", "kind": "message", "service": None, "place": "翠湖湾小区",
     "department": "清源市住房和城乡建设局", "category": "timeliness",
     "start": "2026-08-24", "end": "2026-09-30", "channels": None,
     "keywords": ["翠湖湾", "不动产权证", "办证", "开发商", "交房"],
     "description": "望江区翠湖湾小区交房两年多仍办不下不动产权证，业主在一个多月里反复留言，点赞数高。"},
    {"id": "P6_rs_rent_subsidy_delay", "kind": "rating", "service": "人才租房补贴申领", "place": None,
     "department": "清源市人力资源和社会保障局", "category": "timeliness",
     "start": "2026-07-01", "end": "2026-08-31", "channels": None,
     "keywords": ["审核", "到账", "超期", "一直", "补贴"],
     "description": "毕业季人才租房补贴审核积压，大量办件超过承诺时限（110/209），评论抱怨一直在审核、迟迟不到账。"},
    {"id": "C1_control_sscard", "kind": "rating", "service": CONTROL_SERVICE, "place": None,
     "department": "清源市人力资源和社会保障局", "category": None, "start": None, "end": None,
     "channels": None, "keywords": [], "control": True,
     "description": "对照事项：办件量最大，全年平稳，没有植入任何问题，不应排在问题榜前列。"},
]


CATEGORIES = ["timeliness", "materials", "guide_info", "conditions_compliance", "trips_process", "online_platform",
              "staff_attitude", "staff_competence", "queue_onsite", "access_consultation", "complaint_handling",
              "policy_or_invalid"]
CAT_BASE = np.array([0.22, 0.17, 0.07, 0.04, 0.09, 0.10, 0.09, 0.05, 0.08, 0.05, 0.02, 0.02])
CH_BAD = np.array([0.0, 1.6, 1.4, 1.0, 0.8, 1.0, 1.8, 0.0])  # by pf; Zhejiang: 6 短信, 7 系统默认评价
CH_CAT = np.ones((8, len(CATEGORIES)))  # category multipliers by channel: no queue or window staff online
CH_CAT[1:3, [4, 5, 6, 7, 8]] = [0.6, 2.5, 0.15, 0.3, 0.1]
CH_CAT[3:6, 5] = 0.35


def category_weights(col: dict) -> np.ndarray:
    """Per-service weights of the complaint categories, from each service's traits."""
    w = np.tile(CAT_BASE, (len(col["online"]), 1))
    w[:, 5] *= 0.5 + 2 * col["online"]
    w[:, 8] *= 0.5 + 1.5 * (1 - col["online"])
    w[:, 0] *= np.where(col["days"] >= 15, 1.6, 1.0)
    w[:, 1] *= np.where(col["legal"] >= 0.8, 1.3, 1.0)
    w[:, 3] *= np.where(col["legal"] >= 0.8, 1.5, 1.0)
    return w / w.sum(axis=1, keepdims=True)


def period(end: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the 12 months ending with the last full month on or before `end`."""
    last = end if (end + dt.timedelta(days=1)).day == 1 else end.replace(day=1) - dt.timedelta(days=1)
    first = _shift_months(last.replace(day=1), -11)
    return first, last


def _shift_months(d: dt.date, k: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + k
    y, mo = divmod(m, 12)
    nxt = dt.date(y + (mo + 1) // 12, (mo + 1) % 12 + 1, 1)
    return dt.date(y, mo + 1, min(d.day, (nxt - dt.timedelta(days=1)).day))


def planted_plan(end: dt.date = DEFAULT_END) -> list[dict]:
    """The planted problems with their windows moved along with the demo period (unchanged for the default end)."""
    a, b = period(end)[1], period(DEFAULT_END)[1]
    k = (a.year - b.year) * 12 + a.month - b.month
    out = []
    for p in PLANTED:
        q = dict(p)
        for key in ("start", "end"):
            if q.get(key):
                q[key] = _shift_months(dt.date.fromisoformat(q[key]), k).isoformat()
        out.append(q)
    return out


@dataclass(frozen=True)
class Effect:
    """How a planted problem bends the ratings inside its window (probabilities added at full strength)."""

    bad: float
    basic: float
    hidden: float
    ramp: bool = False
    staff: bool = False
    overdue: bool = False


# ... and the generative part, which tests do not see.
EFFECTS = {
    "P1_gjj_online_outage": Effect(bad=0.12, basic=0.05, hidden=0.05),
    "P2_bdc_queue_growth": Effect(bad=0.06, basic=0.09, hidden=0.05, ramp=True),
    "P3_yb_extra_materials": Effect(bad=0.06, basic=0.03, hidden=0.03),
    "P4_baisha_staff_attitude": Effect(bad=0.08, basic=0.04, hidden=0.05, staff=True),
    "P6_rs_rent_subsidy_delay": Effect(bad=0.08, basic=0.03, hidden=0.03, overdue=True),
}

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = "10X98765432"


def credit_code(body17: str) -> str:
    """Complete a 17-character body into an 18-character 统一社会信用代码 with its check character."""
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(body17, _CC_W, strict=True))
    return body17 + CODE_CHARS[(31 - total % 31) % 31]


SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢钟谭廖")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉鹏飞琳婷慧晨雪欣怡宇浩然思佳俊凯")


@dataclass
class City:
    """Flat arrays describing the city, indexed by service, department or region."""

    dept_names: list[str]
    dept_codes: list[str]
    svc: list[dict]
    region_codes: list[str]
    region_names: list[str]
    halls: list[str]
    district_p: np.ndarray
    staff: np.ndarray  # (departments, regions, 5) staff names

    def service_index(self, name: str) -> int:
        return next(i for i, s in enumerate(self.svc) if s["name"] == name)

    def dept_index(self, name: str) -> int:
        return self.dept_names.index(name)


def build_city() -> City:
    """The city is the same for every seed, so planted problems always name the same services."""
    rng = np.random.default_rng(4399)
    dept_names, dept_codes, svc = [], [], []
    for d, (name, kind, services) in enumerate(DEPARTMENTS):
        dept_names.append(CITY + name)
        org = ("MB" if kind == "12" else "00") + "".join(rng.choice(list("0123456789"), 7))
        code = credit_code(kind + CITY_CODE + org)
        dept_codes.append(code)
        for k, (tname, alias, vol, diff, online, legal, days, subs) in enumerate(services):
            legal_share = float(legal)
            svc.append({
                "name": tname, "alias": alias.split("/"), "dept": d, "vol": float(vol), "diff": float(diff),
                "online": float(online), "legal": legal_share, "days": int(days),
                "subs": [s for s in subs.split("/") if s],
                "city_share": 0.75 if legal_share > 0.8 or vol < 1.5 else 0.3,
                "code": code + ("1" if legal_share > 0.5 else "9") + f"{d * 40 + k + 101:06d}" + "001000",
            })
    staff = np.empty((len(dept_names), len(REGIONS), 5), dtype=object)
    for idx in np.ndindex(staff.shape):
        given = "".join(rng.choice(GIVEN, rng.integers(1, 3)))
        staff[idx] = rng.choice(SURNAMES) + given
    for p in PLANTED:
        if p.get("proManager"):
            d = dept_names.index(p["department"])
            staff[d, [r[0] for r in REGIONS].index(p["areaCode"]), 0] = p["proManager"]
    dp = np.array([r[3] for r in REGIONS])
    return City(dept_names, dept_codes, svc, [r[0] for r in REGIONS], [r[1] for r in REGIONS],
                [r[2] for r in REGIONS], dp / dp.sum(), staff)


_FALLBACK_HOLIDAYS = {  # statutory days off and make-up working days, used when chinese_calendar lacks a year
    "off": ["01-01", "05-01", "05-02", "05-03", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07"],
}


def day_kind(d: dt.date) -> int:
    """0 working day, 1 weekend, 2 statutory holiday (make-up working days count as working days)."""
    try:
        import chinese_calendar

        if chinese_calendar.is_workday(d):
            return 0
        return 2 if chinese_calendar.get_holiday_detail(d)[1] else 1
    except (ImportError, NotImplementedError):
        if d.strftime("%m-%d") in _FALLBACK_HOLIDAYS["off"]:
            return 2
        return 1 if d.weekday() >= 5 else 0


MONTH_FACTOR = {1: 1.05, 2: 0.80, 3: 1.10, 4: 1.00, 5: 0.95, 6: 1.00, 7: 1.08, 8: 1.05, 9: 1.00, 10: 0.90,
                11: 1.00, 12: 1.02}


def day_weights(days: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Relative rating volume per day (weekday, weekend and holiday dips, season) and the day kinds."""
    kinds = np.array([day_kind(d) for d in days])
    base = np.choose(kinds, [1.0, 0.16, 0.05])
    dow = np.array([[1.12, 1.02, 1.0, 0.98, 0.93, 1.0, 1.0][d.weekday()] for d in days])
    season = np.array([MONTH_FACTOR[d.month] for d in days]) * np.linspace(0.97, 1.03, len(days))
    return base * dow * season, kinds


# ---- population, clocks and string helpers ---------------------------------------------------------------------
OUTSIDE_REGIONS = ["430102", "430521", "510104", "440305", "330106", "420106", "360102", "450103", "522101"]
BUSINESSES = ["商贸", "建材", "餐饮", "科技", "物流", "建筑工程", "电子商务", "医药", "农业开发", "文化传媒", "汽车服务",
              "装饰工程", "食品", "教育咨询", "物业管理", "服装"]
SHOPS = ["便利店", "餐馆", "理发店", "五金店", "水果店", "服装店", "药房", "修车铺", "早餐店", "烟酒店"]
_LUT = np.frombuffer(CODE_CHARS.encode(), dtype=np.uint8)


def start_ts(d: dt.date) -> int:
    """Seconds since the epoch of local midnight at the start of `d` (timestamps are naive local time)."""
    return int(np.datetime64(d, "s").astype(np.int64))


def fmt_ts(ts: np.ndarray) -> np.ndarray:
    """yyyy-MM-dd HH:mm:ss for naive epoch seconds, as an (n, 19) character matrix (no Python loop)."""
    ts = np.asarray(ts, dtype=np.int64)
    day, sec = (ts // 86_400).astype("datetime64[D]"), ts % 86_400
    month = day.astype("datetime64[M]")
    y = month.astype("datetime64[Y]").astype(np.int64) + 1970
    m = month.astype(np.int64) % 12 + 1
    d = (day - month).astype(np.int64) + 1

    def sep(c: str) -> np.ndarray:
        return np.full((len(ts), 1), ord(c), dtype=np.uint8)

    return char_mat([digits(y, 4), sep("-"), digits(m, 2), sep("-"), digits(d, 2), sep(" "), digits(sec // 3600, 2),
                     sep(":"), digits(sec // 60 % 60, 2), sep(":"), digits(sec % 60, 2)])


def as_chars(strs) -> np.ndarray:
    """An (n, width) uint8 matrix of the characters of equally long ASCII strings."""
    u = np.ascontiguousarray(np.asarray(strs, dtype=str))
    return u.view(np.uint32).reshape(len(u), u.dtype.itemsize // 4).astype(np.uint8)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of integers as an (n, width) uint8 matrix of characters."""
    v = np.array(values, dtype=np.int64)
    out = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        out[:, k] = v % 10 + 48
        v //= 10
    return out


def char_mat(blocks: list[np.ndarray]) -> np.ndarray:
    """Glue character matrices side by side."""
    return np.ascontiguousarray(np.hstack(blocks))


def take_col(values, idx: np.ndarray) -> pd.Series:
    """A pandas string column values[idx], gathered by Arrow rather than through Python objects."""
    return pd.Series(pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64))), dtype="str")


def str_col(m: np.ndarray) -> pd.Series:
    """A pandas string column over a character matrix, built straight from its bytes."""
    n, w = m.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * w, w, dtype=np.int32))
    return pd.Series(pa.StringArray.from_buffers(n, offsets, pa.py_buffer(np.ascontiguousarray(m))), dtype="str")


def users(rng, city: City, area: np.ndarray, legal_share: np.ndarray) -> dict:
    """userProp, masked userName and certKeyGOV (ID number or credit code, shaped and check-summed, all fake)."""
    n = len(area)
    prop = np.where(rng.random(n) < legal_share, 2, 1).astype(np.int8)
    regions = as_chars(city.region_codes + OUTSIDE_REGIONS)
    home = np.where(area == 0, rng.integers(1, len(city.region_codes), n), area)
    cert = np.empty((n, 18), dtype=np.uint8)
    person = np.flatnonzero(prop == 1)
    k = len(person)
    reg = np.where(rng.random(k) < 0.8, home[person], rng.integers(1, len(regions), k))
    born = fmt_ts((rng.integers(0, 20_800, k) - 7305) * 86_400)[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    body = char_mat([regions[reg], born, digits(rng.integers(1, 1000, k), 3)])
    check = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[((body - 48).astype(np.int32) @ ID_W) % 11]
    cert[person] = char_mat([body, check[:, None]])
    firm = np.flatnonzero(prop == 2)
    k = len(firm)
    org_p = np.r_[np.full(10, 3.0), np.ones(21)]
    head = np.where(rng.random(k) < 0.4, 2, 1)[:, None]
    cbody = np.hstack([np.full((k, 1), 9), head, regions[home[firm]] - 48, rng.choice(31, (k, 9), p=org_p / org_p.sum())])
    ccheck = (31 - (cbody.astype(np.int32) @ np.array(_CC_W)) % 31) % 31
    cert[firm] = char_mat([_LUT[cbody], _LUT[ccheck][:, None]])
    n_people = 3 * len(SURNAMES)
    name = np.where(prop == 1, rng.integers(0, n_people, n), n_people + rng.integers(0, len(name_pool(city)) - n_people, n))
    return {"prop": prop, "name": name, "cert": cert}


def name_pool(city: City) -> list[str]:
    """Masked user names: people first (张*, 张**), then firms and shops."""
    return ([s + "*" * k for s in SURNAMES for k in (1, 2, 2)]
            + [f"{CITY}{'*' * k}{b}有限公司" for b in BUSINESSES for k in (2, 3)]
            + [f"{r}**{s}" for r in city.region_names[1:] for s in SHOPS])


def comment_ctx(city: City, s: int, area: int, online: bool) -> dict:
    """Slot values for comments about one service in one region."""
    hall = city.halls[area]
    halls = [hall, "大厅", "政务中心", "办事大厅"] if area else [hall, "市民中心", "大厅", "市政务服务中心"]
    return {"svc": city.svc[s]["alias"], "hall": halls, "online": online,
            "region": city.region_codes[area] if area else "439902"}


def channels(rng, online: np.ndarray, s_idx: np.ndarray, off_day: np.ndarray) -> np.ndarray:
    """pf codes (Zhejiang: 6 短信, 7 系统默认评价) by each service's online share; halls mostly shut on days off."""
    o = online[:, None]
    default = 0.10 + 0.08 * ((np.arange(len(online)) * 37) % 10 / 10)[:, None]
    hall = 1 - o
    p = np.hstack([o * 0.25, o * 0.75, hall * 0.10, hall * 0.70, hall * 0.12, hall * 0.08]) * (1 - default)
    cum = np.cumsum(np.hstack([p, default]), axis=1)
    ch = np.minimum(1 + (rng.random(len(s_idx))[:, None] > cum[s_idx]).sum(axis=1), 7)
    moved = off_day & np.isin(ch, (3, 4, 5, 6)) & (rng.random(len(ch)) < 0.75)
    ch[moved] = 2
    return ch.astype(np.int8)


def time_of_day(rng, ch: np.ndarray) -> np.ndarray:
    """Seconds after midnight: office hours in halls, evenings online, night batches for default ratings."""
    n = len(ch)
    morning = rng.random(n) < 0.55
    hall = np.where(morning, rng.normal(10.2, 0.9, n).clip(8.5, 11.95), rng.normal(15.3, 1.0, n).clip(13.5, 17.5))
    hw = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 9, 10, 9, 6, 6, 8, 9, 8, 7, 6, 6, 7, 7, 5, 3], dtype=float)
    online = rng.choice(24, n, p=hw / hw.sum()) + rng.random(n)
    hours = np.where(np.isin(ch, (1, 2)), online, hall)
    hours = np.where(ch == 6, rng.uniform(9, 21, n), hours)
    hours = np.where(ch == 7, rng.uniform(0, 3, n), hours)
    return (hours * 3600).astype(np.int64)


def accept_times(rng, ts, ch, promise_days, overdue) -> tuple[np.ndarray, np.ndarray]:
    """acceptDate and promiseTime (epoch seconds) before each rating; overdue cases finish past the promise."""
    n = len(ts)
    finish = ts - np.where(ch == 7, 7 * 86_400 + rng.integers(0, 6 * 3600, n), 0)
    finish = finish - np.where(ch == 6, rng.integers(600, 6 * 3600, n), 0)
    span = np.ceil(promise_days * 1.4).astype(np.int64)
    dur = np.where(span == 0, rng.integers(300, 7200, n), (span * 86_400 * rng.beta(2, 3, n)).astype(np.int64))
    late = (span * 86_400 * (1.1 + 0.9 * rng.random(n))).astype(np.int64) + 2 * 86_400
    dur = np.where(overdue & (span > 0), late, dur)
    day0 = (finish - dur) // 86_400 * 86_400
    office = np.minimum(day0 + rng.integers(int(8.6 * 3600), int(17.4 * 3600), n), finish - 300)
    accept = np.where(span == 0, finish - dur, office)
    promise = accept // 86_400 * 86_400 + span * 86_400 + int(17.5 * 3600)
    return accept, promise
