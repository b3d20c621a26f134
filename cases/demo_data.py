"""Text of the demo complaints and cases of 2019 (cases/demo.py): what villagers report about
their cadres, and what the township discipline commission writes while handling it."""

from __future__ import annotations

# How often each allegation category is raised (domain-research §4.3: benefit money, false
# claims and favouritism in 低保 and housing aid lead; land and projects drive the big cases).
CATEGORY_WEIGHTS: dict[str, int] = {
    "benefit_skimming": 15,
    "false_claims": 13,
    "favouritism": 15,
    "embezzlement": 5,
    "misappropriation": 4,
    "project_violation": 8,
    "asset_disposal": 5,
    "financial_violation": 8,
    "unauthorised_allowance": 3,
    "banqueting_gifts": 5,
    "extortion_fees": 4,
    "bribery": 2,
    "non_disclosure": 5,
    "decision_procedure": 4,
    "election_violation": 2,
    "requisition_compensation": 5,
    "homestead": 5,
    "seal_certificate": 2,
    "dereliction": 6,
    "retaliation": 1,
    "other": 2,
}
# A second category often raised with the first.
COMPANION: dict[str, list[str]] = {
    "benefit_skimming": ["favouritism", "false_claims"],
    "false_claims": ["favouritism", "benefit_skimming"],
    "favouritism": ["false_claims", "non_disclosure"],
    "project_violation": ["bribery", "decision_procedure"],
    "financial_violation": ["embezzlement", "unauthorised_allowance"],
    "asset_disposal": ["decision_procedure", "non_disclosure"],
    "requisition_compensation": ["false_claims", "embezzlement"],
    "homestead": ["extortion_fees", "favouritism"],
}
# The posts whose holders each category is usually about (cadres of other posts are rarer).
CATEGORY_POSTS: dict[str, list[str]] = {
    "benefit_skimming": ["party_secretary", "director", "committee_member", "group_leader"],
    "false_claims": ["director", "committee_member", "group_leader", "accountant"],
    "favouritism": ["party_secretary", "director", "deputy_director", "committee_member"],
    "embezzlement": ["accountant", "bookkeeper", "director", "party_secretary"],
    "misappropriation": ["accountant", "bookkeeper", "director"],
    "project_violation": ["party_secretary", "director", "deputy_director"],
    "asset_disposal": ["party_secretary", "director"],
    "financial_violation": ["accountant", "bookkeeper", "clerk", "director"],
    "unauthorised_allowance": ["party_secretary", "director", "accountant"],
    "banqueting_gifts": ["party_secretary", "director", "deputy_party_secretary"],
    "extortion_fees": ["clerk", "group_leader", "committee_member"],
    "bribery": ["party_secretary", "director"],
    "non_disclosure": ["director", "clerk", "party_secretary"],
    "decision_procedure": ["party_secretary", "director"],
    "election_violation": ["director", "deputy_director", "committee_member"],
    "requisition_compensation": ["director", "group_leader", "party_secretary"],
    "homestead": ["director", "committee_member", "group_leader"],
    "seal_certificate": ["clerk", "director"],
    "dereliction": ["party_secretary", "director", "discipline_member", "committee_member"],
    "retaliation": ["party_secretary", "director"],
    "other": ["group_leader", "clerk", "committee_member"],
}

# (summary, content) of a complaint, by its first category. Fields: {village} {post} {cadre}
# {group} (a villager group number) {amount} (yuan) {person} (a villager) {count}.
COMPLAINTS: dict[str, list[tuple[str, str]]] = {
    "benefit_skimming": [
        (
            "反映{post}{cadre}截留困难群众低保金",
            "{village}{group}组低保户{person}2019年上半年的低保金被{post}{cadre}以“统一代管”为由"
            "截留，累计约{amount}元，至今未发放到户。",
        ),
        (
            "反映{cadre}克扣五保户供养金",
            "{village}五保户供养金由{post}{cadre}代领代发，近几个月每月实际到手比公示标准少，"
            "涉及{count}户，合计约{amount}元。",
        ),
        (
            "反映村干部私分危房改造补助",
            "{village}{group}组{person}家危房改造补助款到账后，{post}{cadre}要求其拿出{amount}元"
            "“感谢费”，否则不予验收。",
        ),
    ],
    "false_claims": [
        (
            "反映{post}{cadre}虚报冒领低保金",
            "{village}有{count}户已去世或长期在外的村民仍在领取低保，反映{post}{cadre}"
            "虚报冒领，涉及金额约{amount}元。",
        ),
        (
            "反映{cadre}虚报耕地地力保护补贴面积",
            "{village}{group}组在申报耕地地力保护补贴时多报面积，多出部分补贴约{amount}元"
            "由{post}{cadre}领取。",
        ),
        (
            "反映村干部套取秸秆禁烧补助",
            "{village}申报的秸秆禁烧巡查人员中有{count}人从未参加巡查，补助约{amount}元"
            "去向不明，{post}{cadre}负责造册。",
        ),
    ],
    "favouritism": [
        (
            "反映{post}{cadre}优亲厚友办理“关系保”",
            "{village}{post}{cadre}将其亲属纳入低保，而{group}组真正困难的{person}家多次申请"
            "未获批准。",
        ),
        (
            "反映{cadre}在危房改造对象评定中优亲厚友",
            "{village}2019年危房改造名单中有{count}户家庭条件较好，其中包括{post}{cadre}的"
            "亲戚，评定未经村民代表评议。",
        ),
        (
            "反映{cadre}为亲属违规申领临时救助",
            "{village}{post}{cadre}的亲属家庭经营养殖场，却连续两年领取临时救助，"
            "合计约{amount}元。",
        ),
    ],
    "embezzlement": [
        (
            "反映{post}{cadre}侵占村集体资金",
            "{village}集体鱼塘承包费约{amount}元未入村账，由{post}{cadre}个人收取，去向不明。",
        ),
        (
            "反映{cadre}侵占土地流转收益",
            "{village}{group}组土地流转收益约{amount}元，{post}{cadre}以“预留开支”为由"
            "迟迟不分配给农户。",
        ),
    ],
    "misappropriation": [
        (
            "反映{post}{cadre}挪用村集体资金",
            "{village}账上一笔约{amount}元的道路维修资金被{post}{cadre}借给亲戚周转，至今未还。",
        ),
        (
            "反映{cadre}挪用扶贫项目收益",
            "{village}光伏扶贫项目收益约{amount}元应分配给低收入农户，被{post}{cadre}挪作他用。",
        ),
    ],
    "project_violation": [
        (
            "反映村道路工程未招标直接发包",
            "{village}{group}组道路硬化工程约{amount}元，{post}{cadre}未经招标直接交给"
            "熟人施工，工程质量差。",
        ),
        (
            "反映{cadre}拆分工程规避招标",
            "{village}排涝沟渠整治工程被拆成{count}个小项目，每项都在招标限额以下，"
            "由{post}{cadre}指定施工队。",
        ),
        (
            "反映工程结算虚增工程量",
            "{village}桥梁维修工程结算比实际多算约{amount}元，{post}{cadre}签字认可。",
        ),
    ],
    "asset_disposal": [
        (
            "反映{cadre}低价出租村集体厂房",
            "{village}集体厂房以明显低于市场的价格出租给{post}{cadre}的朋友，租期长达{count}年，"
            "未经公开竞价。",
        ),
        (
            "反映村集体鱼塘发包不公开",
            "{village}{group}组集体鱼塘到期后未公开发包，{post}{cadre}私下续租，"
            "承包费约{amount}元。",
        ),
    ],
    "financial_violation": [
        (
            "反映村账目以白条入账",
            "{village}多笔支出以白条入账，合计约{amount}元，{post}{cadre}经手，"
            "村民理财小组未签字。",
        ),
        (
            "反映{cadre}设立“小金库”",
            "{village}部分租金收入约{amount}元未入村账，由{post}{cadre}另行保管支出。",
        ),
        (
            "反映重复报销费用",
            "{village}同一笔维修费用在两个月内报销两次，金额约{amount}元，经手人为{post}{cadre}。",
        ),
    ],
    "unauthorised_allowance": [
        (
            "反映村干部违规发放补贴",
            "{village}年底以“加班补助”名义给村干部发放约{amount}元，未经村民代表会议同意。",
        ),
    ],
    "banqueting_gifts": [
        (
            "反映{post}{cadre}用集体资金吃喝",
            "{village}多次以接待名义在饭店消费，合计约{amount}元，{post}{cadre}签单报销。",
        ),
        (
            "反映{cadre}操办子女婚宴收受礼金",
            "{village}{post}{cadre}为子女操办婚宴{count}桌，收受村民和工程老板礼金。",
        ),
    ],
    "extortion_fees": [
        (
            "反映{cadre}开具证明收取费用",
            "{village}{post}{cadre}为村民开具各类证明时收取{amount}元不等的“工本费”。",
        ),
        (
            "反映村干部吃拿卡要",
            "{village}{group}组{person}办理建房手续时，{post}{cadre}要求请客送礼才肯签字。",
        ),
    ],
    "bribery": [
        (
            "反映{post}{cadre}收受工程老板好处费",
            "{village}{post}{cadre}收受施工方好处费约{amount}元，帮其承揽村内工程。",
        ),
    ],
    "non_disclosure": [
        (
            "反映村务财务长期不公开",
            "{village}村务公开栏已有{count}个月未更新，村民无法了解集体收支情况，"
            "{post}{cadre}推说忙。",
        ),
        ("反映低保名单未公示", "{village}2019年新增低保户名单未张榜公示，村民对评定结果有疑问。"),
    ],
    "decision_procedure": [
        (
            "反映重大事项未经“四议两公开”",
            "{village}约{amount}元的村部改造项目未召开村民代表会议，由{post}{cadre}一人拍板。",
        ),
    ],
    "election_violation": [
        (
            "反映换届选举中拉票贿选",
            "{village}村委会换届前，{post}{cadre}托人给{group}组村民送烟送钱拉票。",
        ),
    ],
    "requisition_compensation": [
        (
            "反映征地补偿款未足额发放",
            "{village}{group}组被征地农户反映，征地补偿款每亩少发，差额合计约{amount}元，"
            "{post}{cadre}未说明去向。",
        ),
        (
            "反映虚增青苗补偿面积",
            "{village}征地时{post}{cadre}为亲属虚增青苗补偿面积，多领补偿约{amount}元。",
        ),
    ],
    "homestead": [
        (
            "反映宅基地审批违规",
            "{village}{group}组有村民超面积建房并取得审批，{post}{cadre}收受好处后出具同意意见。",
        ),
        (
            "反映{cadre}为亲属违规审批宅基地",
            "{village}{post}{cadre}为其亲属在基本农田上审批宅基地，周边村民意见很大。",
        ),
    ],
    "seal_certificate": [
        (
            "反映{cadre}违规出具虚假证明",
            "{village}{post}{cadre}为不符合条件的人员出具困难证明，帮助其申领助学补助。",
        ),
    ],
    "dereliction": [
        (
            "反映村干部不作为",
            "{village}{group}组排涝沟渠堵塞多次反映无人处理，导致{count}户农田受淹，"
            "{post}{cadre}推诿。",
        ),
        (
            "反映低保动态管理不到位",
            "{village}已脱贫或条件好转的{count}户长期未退出低保，{post}{cadre}未按要求复核。",
        ),
    ],
    "retaliation": [
        (
            "反映{cadre}打击报复举报人",
            "{village}{group}组{person}向上级反映问题后，{post}{cadre}取消其家庭的惠农补贴。",
        ),
    ],
    "other": [
        ("反映{post}{cadre}作风粗暴", "{village}{post}{cadre}在调解邻里纠纷时态度恶劣，辱骂群众。"),
    ],
}

# What a case is about, by category: "{post}{cadre}" + this.
CASE_SUMMARIES: dict[str, str] = {
    "benefit_skimming": "截留克扣惠民资金问题",
    "false_claims": "虚报冒领补助资金问题",
    "favouritism": "在低保评定中优亲厚友问题",
    "embezzlement": "侵占集体资金问题",
    "misappropriation": "挪用集体资金问题",
    "project_violation": "工程项目违规发包问题",
    "asset_disposal": "违规处置集体资产问题",
    "financial_violation": "违反财经纪律问题",
    "unauthorised_allowance": "违规发放补贴问题",
    "banqueting_gifts": "违反中央八项规定精神问题",
    "extortion_fees": "吃拿卡要、违规收费问题",
    "bribery": "收受好处费问题",
    "non_disclosure": "村务公开不到位问题",
    "decision_procedure": "违反“四议两公开”决策程序问题",
    "election_violation": "换届选举违纪问题",
    "requisition_compensation": "征地补偿违规问题",
    "homestead": "宅基地审批违规问题",
    "seal_certificate": "违规出具证明问题",
    "dereliction": "履职不力问题",
    "retaliation": "打击报复举报人问题",
    "other": "工作作风问题",
}

REGISTER_NOTES = [
    "经审核，属本级受理范围，予以受理。",
    "反映问题具体，有可查性，登记受理。",
    "属于村干部违纪问题线索，予以受理。",
]
NOT_ACCEPTED_NOTES = [
    "反映内容属于民事纠纷，应通过诉讼途径解决，不予受理，已告知反映人。",
    "反映内容仅列举问题名称，无具体事实，不予受理。",
    "反映的是土地承包合同纠纷，属农经部门职责范围，不予受理并告知。",
    "所反映问题已于2018年处理完毕，无新的事实和证据，不予受理。",
]
TRANSFER_NOTES = [
    "反映内容属民政部门职责，转区民政局办理。",
    "反映涉及土地违法，转自然资源和规划部门处理。",
    "反映对象为镇机关干部，按管理权限转区纪委监委信访室。",
    "涉及刑事案件线索，转公安机关处理。",
    "反映的是社保待遇问题，转区人社局办理。",
]
DUPLICATE_NOTES = [
    "与已受理件反映同一问题，作重复件登记，并入原件一并办理。",
    "同一反映人就同一事项重复反映，不再重复办理。",
]
CASE_OPEN_NOTES = [
    "经研究，作为问题线索登记办理。",
    "线索具有可查性，纳入线索台账。",
]
PROPOSALS: dict[str, list[str]] = {
    "talk_inquiry": [
        "反映问题较为轻微，建议对其进行谈话函询。",
        "问题属于苗头性、倾向性问题，拟谈话函询。",
    ],
    "preliminary_verification": [
        "反映问题具体，涉及金额较大，建议开展初步核实。",
        "线索有一定可查性，拟成立核查组初步核实。",
    ],
    "shelved": [
        "反映问题暂不具备核查条件，建议暂存待查。",
        "反映人联系不上，相关资料暂缺，建议暂存待查。",
    ],
    "closed_no_action": [
        "经了解，反映问题已整改到位，建议予以了结。",
        "反映内容失实，建议予以了结并向被反映人澄清。",
        "反映问题已在此前专项检查中处理，建议予以了结。",
    ],
}
APPROVALS = ["同意。", "同意，抓紧办理。", "同意处置意见，按期办结。"]
WRITTEN_REPLIES = [
    "被函询人已按期书面说明，对反映问题作了解释并作出检查。",
    "已开展谈话，被谈话人如实说明情况，认识到问题。",
]
FILING_NOTES = [
    "初核认为其涉嫌违纪，需要追究党纪责任，同意立案审查。",
    "经初步核实，违纪事实基本清楚，同意立案。",
]
INVESTIGATION_NOTES = [
    "成立审查组，制定审查方案，开展调查取证。",
    "审查组已进驻，调取相关账目和凭证。",
]
HEARING_NOTES = [
    "已向被审查人告知违纪事实，听取其陈述和申辩，记录在卷。",
    "被审查人对认定事实无异议，已签字确认。",
]
TRIAL_NOTES = ["审查报告及证据材料移送审理。", "事实清楚，证据确凿，移送案件审理。"]
RETURN_NOTES = ["部分事实证据不足，退回补充调查。", "涉及金额需进一步核实，退回补充证据。"]
AWAITING_NOTES = ["审理完毕，提出处分建议，报请审议决定。", "审理意见已形成，提请纪委会议审议。"]
DECISION_NOTES = ["经纪委会议研究，作出处理决定。", "经集体研究，同意审理意见。"]
EXECUTION_NOTES = ["处分决定已宣布并送达本人，正在执行。", "决定已向所在党支部全体党员宣布。"]
CLOSING_NOTES = ["处理决定已执行到位，予以结案。", "执行情况已报告，违纪款项已收缴，结案。"]
WITHDRAW_NOTES = ["经审理，反映的主要问题不成立，撤销案件。"]
CLARIFICATIONS = [
    "在村民代表会议上通报调查结论，为其澄清正名，消除不良影响。",
    "向被反映人及所在党支部书面反馈核查结果，予以澄清。",
]
JUDICIAL_NOTES = [
    "其行为涉嫌职务侵占罪，移送司法机关依法处理。",
    "涉嫌贪污犯罪，依法移送检察机关审查起诉。",
]
EARLY_TRANSFER_NOTES = ["经研判，所反映问题涉嫌刑事犯罪，直接移送公安机关。"]
NO_SANCTION_REASONS = [
    "情节轻微，且主动退还全部款项，经研究免予处分。",
    "问题发生在其任职之前，本人无直接责任，不予处分。",
]
SANCTION_NOTES = ["依据《中国共产党纪律处分条例》作出处理。", "依规依纪依法作出处理。"]
EXTENSION_REASONS: dict[str, list[str]] = {
    "disposition": ["线索涉及多个事项，需进一步研判，延长处置期限。"],
    "talk_inquiry": ["被函询人外出务工，书面说明尚未返回，延期。"],
    "preliminary_verification": [
        "涉及多年账目，需调取银行流水核对，申请延长初核期限一个月。",
        "相关证人在外地，需补充取证，延期一个月。",
    ],
    "investigation": [
        "案情复杂，涉及资金往来较多，经批准延长审查调查期限。",
        "需对工程量进行第三方审计，延长审查期限。",
    ],
    "trial_review": ["案件材料较多，经批准延长审理期限。"],
}
ACKNOWLEDGEMENTS = [
    "您反映的问题已收到，我们已依规受理，将认真核查。",
    "您的来信已收悉并登记受理，办理结果将及时反馈给您。",
    "来电反映的问题已受理，正在按程序办理。",
]
COMMITTEE_ACKNOWLEDGEMENT = "村务监督委员会报告的问题已收悉，镇纪委已登记受理。"
DUPLICATE_ACKNOWLEDGEMENT = "您反映的问题与此前受理的事项相同，正在一并办理，结果将一并反馈。"
NOT_ACCEPTED_ACKNOWLEDGEMENT = "您反映的问题不属于纪检监察机关受理范围，建议您向有关部门反映。"
TRANSFER_ACKNOWLEDGEMENT = "您反映的问题已转有权处理的部门办理，请留意该部门的答复。"
QUESTIONS = [
    (
        "请问您反映的情况大约发生在什么时间？是否有相关票据或照片？",
        "大概是今年春天的事，我手上有发放记录的照片。",
    ),
    ("请问涉及的农户具体有哪几户？", "主要是三组和五组的几户老人，名字我可以当面说。"),
]
FEEDBACK: dict[str, list[str]] = {
    "established": [
        "您反映的问题经核查基本属实，相关责任人已受到相应处理，违规资金已追回。",
        "经调查，您反映的问题部分属实，已对相关人员作出处理并督促整改。",
    ],
    "not_established": [
        "经核查，您反映的问题缺乏事实依据，已向您说明核查情况。",
        "经认真核实，反映问题与事实不符，已予以了结。",
    ],
    "transferred": ["您反映的问题涉嫌违法犯罪，已移送司法机关依法处理。"],
}
RESULT_SUMMARIES: dict[str, list[str]] = {
    "sanctioned": [
        "反映问题基本属实，已对相关责任人作出处理，违规款项已追缴。",
        "反映问题部分属实，已对相关村干部进行问责并督促整改。",
    ],
    "cleared": [
        "经核查，反映问题不属实，已向被反映人澄清。",
        "经了解，反映问题已整改到位，予以了结。",
    ],
    "transferred": ["所反映问题已移送司法机关依法处理。"],
}
CLOSING_SUMMARIES = [
    "已按“提、议、办、评、结”五步法办结，群众意见已反馈，相关整改措施已落实。",
    "问题已查清并处理到位，已向反映人反馈，并督促村里完善低保评议公示制度。",
    "核查结论已反馈，村里已召开村民代表会议通报，事项办结归档。",
    "处理结果已公开，举一反三开展专项检查，办结归档。",
]
RATING_COMMENTS: dict[str, list[str]] = {
    "satisfied": ["办理及时，结果满意。", "问题解决了，谢谢镇纪委。", ""],
    "basically_satisfied": ["处理了，但时间有点长。", "基本满意，希望以后公开更及时。"],
    "dissatisfied": ["处理太轻，不满意。", "问题没有彻底解决。"],
}
APPEAL_GROUNDS = [
    "本人认为处分过重，所涉款项已全部退还，请求从轻处理。",
    "认定的部分事实与实际不符，申请复审。",
    "对处分决定不服，认为程序存在瑕疵，申请复议复查。",
]
APPEAL_DECISIONS = {
    "uphold": "经复查，原处分认定事实清楚，定性准确，处理恰当，维持原处分。",
    "change": "经复查，原处分事实清楚，但考虑其主动退赔等情节，依规变更处分。",
    "revoke": "经复查，原处分所依据的主要事实证据不足，撤销该项处分。",
}
# Reporters' addresses: "{village}{group}组" plus one of these.
HOUSE_NUMBERS = ["{n}号", "{n}号附{m}", "东{n}号", "西{n}号"]

# Channels of the complaints entered at intake or reported online (committee escalations come
# from the ledger), how often each brings a complaint, and how often its reporter gives a name.
CHANNEL_WEIGHTS: dict[str, int] = {
    "letter": 20,
    "visit": 12,
    "phone": 14,
    "online": 15,
    "onsite": 3,
    "inspection": 8,
    "audit": 5,
    "assigned": 7,
    "transferred": 3,
    "data_alert": 6,
    "media": 2,
    "other": 2,
}
NAMED_SHARE: dict[str, float] = {
    "letter": 0.45,
    "visit": 0.85,
    "phone": 0.5,
    "online": 0.35,
    "onsite": 0.6,
    "media": 0.1,
    "other": 0.3,
}
# How a complaint from an institution opens (its source, not a person, is on record).
CHANNEL_PREFIX: dict[str, str] = {
    "inspection": "区委巡察组移交：",
    "audit": "村级财务审计发现：",
    "assigned": "区纪委监委交办：",
    "transferred": "公安机关移送：",
    "data_alert": "民生资金大数据比对预警：",
    "media": "网络媒体报道：",
    "onsite": "现场接访记录：",
}
# The posts as the complaints name them.
POST_NAMES: dict[str, str] = {
    "party_secretary": "村党总支书记",
    "deputy_party_secretary": "村党总支副书记",
    "party_committee_member": "村党总支委员",
    "discipline_member": "村纪检委员",
    "director": "村委会主任",
    "deputy_director": "村委会副主任",
    "committee_member": "村委会委员",
    "accountant": "村会计",
    "bookkeeper": "村报账员",
    "clerk": "村文书",
    "group_leader": "村民小组长",
}
