//! Generated proposal texts whose words are distributed like real ones, for
//! the search benchmarks and the ranking's tests.
//!
//! Real proposals (提案) are hundreds of characters long; set phrases of
//! official writing (近年来, 一是, 建议, 有关部门 …) are in nearly all of them;
//! general policy words (机制, 资金, 社区, 企业, 政策 …) are each in a large
//! share; each topic's words follow a long tail (a few in nearly every
//! proposal on the topic, many rare); and place names, numbers and the names
//! of particular projects make a long tail of words seen once or twice. Here
//! each word list is drawn by rank with Zipf weights (the k-th word weighs
//! 1/k^s), topics are drawn the same way (some topics are far more common
//! than others), and bodies are 300–1,500 characters of sentences built
//! from templates, titles in the forms real titles take.

use rand::rngs::StdRng;
use rand::Rng;

/// A topic: the phrases its titles name, and its words, most common first.
pub struct Topic {
    pub name: &'static str,
    pub phrases: &'static [&'static str],
    pub words: &'static [&'static str],
}

/// Topics of district, city and provincial proposals, most common first.
pub const TOPICS: &[Topic] = &[
    Topic {
        name: "居家养老",
        phrases: &[
            "社区居家养老服务",
            "养老服务体系建设",
            "老年助餐服务",
            "医养结合",
            "失能老人照护",
        ],
        words: &[
            "养老",
            "老年人",
            "居家养老",
            "养老服务",
            "护理",
            "日间照料",
            "助餐",
            "老龄化",
            "失能",
            "医养结合",
            "养老机构",
            "床位",
            "护理员",
            "适老化",
            "空巢老人",
            "老年食堂",
            "长期护理保险",
            "喘息服务",
            "智慧养老",
            "养老驿站",
            "高龄津贴",
            "认知症",
            "家庭养老床位",
            "上门服务",
            "助浴",
            "养老护理员",
            "老年大学",
            "银发经济",
            "嵌入式",
            "社区食堂",
        ],
    },
    Topic {
        name: "老旧小区改造",
        phrases: &[
            "老旧小区改造",
            "老旧小区加装电梯",
            "既有住宅加装电梯",
            "老旧小区综合整治",
            "城镇老旧小区改造",
        ],
        words: &[
            "老旧小区",
            "改造",
            "电梯",
            "加装电梯",
            "居民",
            "楼道",
            "管网",
            "外墙",
            "屋顶",
            "防水",
            "物业",
            "业主",
            "住房公积金",
            "低层住户",
            "出资",
            "分摊",
            "楼栋",
            "雨污分流",
            "停车位",
            "绿化",
            "二次供水",
            "弱电",
            "飞线",
            "保温",
            "化粪池",
            "违建",
            "楼院",
            "单位家属院",
            "无主楼",
            "补贴",
        ],
    },
    Topic {
        name: "中小学教育",
        phrases: &[
            "义务教育优质均衡发展",
            "中小学课后服务",
            "中小学生近视防控",
            "学生心理健康教育",
            "教师队伍建设",
        ],
        words: &[
            "学生",
            "教师",
            "学校",
            "教育",
            "课后服务",
            "义务教育",
            "学位",
            "近视",
            "心理健康",
            "减负",
            "作业",
            "校园",
            "体育",
            "课程",
            "家长",
            "集团化办学",
            "师资",
            "均衡",
            "编制",
            "班额",
            "托管",
            "营养餐",
            "劳动教育",
            "研学",
            "校车",
            "职称",
            "乡村教师",
            "课外培训",
            "双减",
            "校外",
        ],
    },
    Topic {
        name: "停车与交通",
        phrases: &[
            "停车难问题",
            "城市交通拥堵治理",
            "公共停车场建设",
            "校园周边交通秩序",
            "公交线网优化",
        ],
        words: &[
            "停车",
            "交通",
            "车位",
            "停车场",
            "拥堵",
            "道路",
            "公交",
            "机动车",
            "非机动车",
            "停车位",
            "共享",
            "错时",
            "充电桩",
            "路口",
            "信号灯",
            "智慧停车",
            "泊位",
            "违停",
            "潮汐",
            "地铁",
            "换乘",
            "人行道",
            "斑马线",
            "微循环",
            "断头路",
            "立体停车库",
            "交警",
            "出行",
            "慢行系统",
            "接驳",
        ],
    },
    Topic {
        name: "基层医疗",
        phrases: &[
            "基层医疗服务能力",
            "家庭医生签约服务",
            "分级诊疗制度",
            "社区卫生服务中心建设",
            "村医队伍建设",
        ],
        words: &[
            "医疗",
            "医院",
            "医生",
            "基层",
            "患者",
            "卫生",
            "家庭医生",
            "签约",
            "分级诊疗",
            "社区卫生服务中心",
            "医保",
            "药品",
            "慢性病",
            "村医",
            "医联体",
            "转诊",
            "诊疗",
            "全科医生",
            "卫生院",
            "检查",
            "互联网医院",
            "远程医疗",
            "报销",
            "门诊",
            "公共卫生",
            "健康档案",
            "疫苗",
            "急救",
            "医共体",
            "乡镇卫生院",
        ],
    },
    Topic {
        name: "营商环境",
        phrases: &[
            "优化营商环境",
            "民营经济发展",
            "中小企业纾困",
            "政务服务便利化",
            "涉企服务",
        ],
        words: &[
            "企业",
            "营商环境",
            "民营企业",
            "市场",
            "审批",
            "政务服务",
            "中小企业",
            "融资",
            "减税降费",
            "市场主体",
            "一网通办",
            "惠企政策",
            "纾困",
            "信用",
            "涉企",
            "执法",
            "办事",
            "窗口",
            "清单",
            "账款",
            "拖欠",
            "贷款",
            "担保",
            "产业链",
            "招商引资",
            "园区",
            "准入",
            "包容审慎",
            "专精特新",
            "首贷",
        ],
    },
    Topic {
        name: "垃圾分类与环境",
        phrases: &[
            "生活垃圾分类",
            "农村人居环境整治",
            "背街小巷环境整治",
            "建筑垃圾管理",
            "城市精细化管理",
        ],
        words: &[
            "垃圾",
            "垃圾分类",
            "环境",
            "清运",
            "厨余垃圾",
            "保洁",
            "环卫",
            "回收",
            "可回收物",
            "分类投放",
            "中转站",
            "桶站",
            "督导",
            "填埋",
            "焚烧",
            "减量",
            "资源化",
            "背街小巷",
            "卫生",
            "乱堆乱放",
            "建筑垃圾",
            "渗滤液",
            "积分",
            "撤桶并点",
            "定时定点",
            "大件垃圾",
            "装修垃圾",
            "异味",
            "农村",
            "村容村貌",
        ],
    },
    Topic {
        name: "就业创业",
        phrases: &[
            "高校毕业生就业",
            "灵活就业人员权益保障",
            "返乡创业",
            "职业技能培训",
            "稳就业",
        ],
        words: &[
            "就业",
            "创业",
            "毕业生",
            "培训",
            "岗位",
            "招聘",
            "灵活就业",
            "技能",
            "劳动者",
            "人才",
            "大学生",
            "返乡",
            "社保",
            "新就业形态",
            "外卖",
            "骑手",
            "零工市场",
            "创业担保贷款",
            "见习",
            "职业技能",
            "用工",
            "农民工",
            "欠薪",
            "工伤",
            "平台",
            "求职",
            "技工",
            "职业教育",
            "实训基地",
            "稳岗",
        ],
    },
    Topic {
        name: "食品安全",
        phrases: &[
            "食品安全监管",
            "校园食品安全",
            "农贸市场规范管理",
            "网络订餐监管",
            "小餐饮治理",
        ],
        words: &[
            "食品",
            "食品安全",
            "餐饮",
            "监管",
            "抽检",
            "农贸市场",
            "外卖",
            "后厨",
            "明厨亮灶",
            "小作坊",
            "过期",
            "添加剂",
            "冷链",
            "溯源",
            "食堂",
            "商户",
            "摊贩",
            "检测",
            "农药残留",
            "网络订餐",
            "证照",
            "从业人员",
            "健康证",
            "餐具",
            "消毒",
            "预制菜",
            "标签",
            "保质期",
            "执法检查",
            "快检",
        ],
    },
    Topic {
        name: "河湖治理",
        phrases: &[
            "河道生态治理",
            "黑臭水体治理",
            "城市内涝防治",
            "河长制落实",
            "污水处理设施建设",
        ],
        words: &[
            "河道",
            "水质",
            "污水",
            "治理",
            "生态",
            "黑臭水体",
            "排水",
            "内涝",
            "雨水",
            "河长制",
            "污水处理厂",
            "管网",
            "截污",
            "清淤",
            "水环境",
            "湿地",
            "排污口",
            "岸线",
            "水系",
            "补水",
            "海绵城市",
            "泵站",
            "防汛",
            "积水",
            "暗渠",
            "面源污染",
            "水源地",
            "监测",
            "蓝线",
            "巡河",
        ],
    },
    Topic {
        name: "文化事业",
        phrases: &[
            "公共文化服务体系",
            "非物质文化遗产保护",
            "历史文化街区保护",
            "全民阅读",
            "文旅融合发展",
        ],
        words: &[
            "文化",
            "非遗",
            "传承",
            "旅游",
            "文物",
            "保护",
            "博物馆",
            "图书馆",
            "文化馆",
            "阅读",
            "历史文化",
            "街区",
            "传承人",
            "演出",
            "文创",
            "古建筑",
            "修缮",
            "文旅",
            "景区",
            "乡村旅游",
            "游客",
            "民宿",
            "书屋",
            "非物质文化遗产",
            "戏曲",
            "群众文化",
            "活化利用",
            "红色资源",
            "考古",
            "老字号",
        ],
    },
    Topic {
        name: "城中村改造",
        phrases: &[
            "城中村改造",
            "安置房建设",
            "拆迁安置",
            "回迁安置",
            "征收补偿",
        ],
        words: &[
            "城中村",
            "安置房",
            "拆迁",
            "安置",
            "回迁",
            "征收",
            "补偿",
            "过渡费",
            "村民",
            "宅基地",
            "集体",
            "开发商",
            "交付",
            "延期",
            "产权",
            "不动产登记",
            "烂尾",
            "项目",
            "土地",
            "房屋",
            "安置区",
            "集体经济",
            "股份",
            "分红",
            "村改居",
            "违法建设",
            "拆除",
            "评估",
            "腾退",
            "规划",
        ],
    },
    Topic {
        name: "学前教育与托育",
        phrases: &[
            "学前教育资源",
            "普惠性幼儿园",
            "婴幼儿托育服务",
            "三孩生育配套",
            "普惠托育",
        ],
        words: &[
            "幼儿园",
            "托育",
            "普惠",
            "学前教育",
            "婴幼儿",
            "入园",
            "幼儿",
            "托育机构",
            "保育",
            "生育",
            "三孩",
            "家庭",
            "民办",
            "公办",
            "收费",
            "幼师",
            "育儿",
            "托位",
            "托幼一体化",
            "母婴室",
            "产假",
            "育儿补贴",
            "早教",
            "看护",
            "配套幼儿园",
            "学位",
            "保教",
            "安全",
            "营养",
            "午休",
        ],
    },
    Topic {
        name: "物业管理",
        phrases: &[
            "物业服务管理",
            "业主委员会建设",
            "住宅专项维修资金使用",
            "物业纠纷化解",
            "红色物业",
        ],
        words: &[
            "物业",
            "业主",
            "物业费",
            "业委会",
            "物业公司",
            "小区",
            "维修资金",
            "公共收益",
            "纠纷",
            "物业服务",
            "选聘",
            "收费",
            "服务标准",
            "投诉",
            "前期物业",
            "开发商",
            "电梯维保",
            "消防通道",
            "门禁",
            "保安",
            "红色物业",
            "信托制",
            "质价相符",
            "弃管",
            "共有部位",
            "续聘",
            "公示",
            "业主大会",
            "满意度",
            "调解",
        ],
    },
    Topic {
        name: "乡村振兴",
        phrases: &[
            "乡村振兴",
            "农村集体经济发展",
            "高标准农田建设",
            "农产品品牌建设",
            "农村电商发展",
        ],
        words: &[
            "农村",
            "农民",
            "乡村振兴",
            "农业",
            "产业",
            "农产品",
            "集体经济",
            "合作社",
            "种植",
            "土地流转",
            "高标准农田",
            "增收",
            "品牌",
            "电商",
            "冷链物流",
            "特色产业",
            "村集体",
            "新型农业经营主体",
            "撂荒",
            "种粮",
            "农机",
            "农技",
            "宅基地",
            "乡村",
            "人居环境",
            "帮扶",
            "脱贫",
            "防返贫",
            "产业园",
            "直播",
        ],
    },
    Topic {
        name: "社区治理",
        phrases: &[
            "基层社会治理",
            "社区网格化管理",
            "社区工作者队伍建设",
            "基层减负",
            "矛盾纠纷多元化解",
        ],
        words: &[
            "社区",
            "基层",
            "治理",
            "网格",
            "网格员",
            "社区工作者",
            "居委会",
            "减负",
            "志愿者",
            "矛盾纠纷",
            "调解",
            "议事",
            "楼栋长",
            "居民自治",
            "社会组织",
            "台账",
            "考核",
            "挂牌",
            "报表",
            "党建",
            "共建",
            "信访",
            "诉求",
            "接诉即办",
            "流动人口",
            "待遇",
            "薪酬",
            "服务站",
            "积分制",
            "数字化",
        ],
    },
    Topic {
        name: "残疾人与困难群体",
        phrases: &[
            "残疾人就业保障",
            "困难群众救助",
            "无障碍环境建设",
            "特殊教育发展",
            "低保对象帮扶",
        ],
        words: &[
            "残疾人",
            "困难群众",
            "救助",
            "低保",
            "无障碍",
            "康复",
            "特殊教育",
            "辅具",
            "盲道",
            "托养",
            "残疾儿童",
            "临时救助",
            "特困",
            "兜底",
            "孤独症",
            "助残",
            "就业",
            "补贴",
            "社会救助",
            "慈善",
            "帮扶",
            "无障碍设施",
            "坡道",
            "手语",
            "重度残疾",
            "护理补贴",
            "低收入",
            "动态监测",
            "入户",
            "精准",
        ],
    },
    Topic {
        name: "数字政府",
        phrases: &[
            "数字政府建设",
            "政务数据共享",
            "智慧城市建设",
            "数字经济发展",
            "老年人数字鸿沟",
        ],
        words: &[
            "数据",
            "数字化",
            "平台",
            "信息化",
            "共享",
            "政务",
            "系统",
            "智慧城市",
            "数字经济",
            "互联网",
            "大数据",
            "人工智能",
            "数据安全",
            "一网统管",
            "算力",
            "应用场景",
            "信息孤岛",
            "重复录入",
            "APP",
            "小程序",
            "数字鸿沟",
            "个人信息",
            "网络安全",
            "5G",
            "物联网",
            "云平台",
            "数据要素",
            "开放",
            "标准",
            "接口",
        ],
    },
    Topic {
        name: "应急管理",
        phrases: &[
            "应急避难场所建设",
            "城市安全风险防控",
            "电动自行车充电安全",
            "消防安全隐患整治",
            "燃气安全管理",
        ],
        words: &[
            "应急",
            "安全",
            "消防",
            "隐患",
            "火灾",
            "燃气",
            "电动自行车",
            "充电",
            "避难场所",
            "演练",
            "救援",
            "排查",
            "风险",
            "预警",
            "物资",
            "储备",
            "高层建筑",
            "飞线充电",
            "消防通道",
            "微型消防站",
            "自然灾害",
            "防汛",
            "地质灾害",
            "安全生产",
            "燃气管道",
            "报警器",
            "充电桩",
            "楼道",
            "责任",
            "培训",
        ],
    },
    Topic {
        name: "青年人才",
        phrases: &[
            "青年人才引进",
            "人才公寓建设",
            "高层次人才服务",
            "青年发展型城市",
            "科技人才培养",
        ],
        words: &[
            "人才",
            "青年",
            "引进",
            "留住",
            "人才公寓",
            "高校",
            "科研",
            "创新",
            "科技",
            "博士",
            "待遇",
            "安家",
            "落户",
            "住房",
            "补贴",
            "团队",
            "平台",
            "成果转化",
            "实验室",
            "研发",
            "孵化",
            "企业",
            "评价",
            "职称",
            "柔性引才",
            "双创",
            "人才驿站",
            "租房",
            "婚恋",
            "配偶",
        ],
    },
    Topic {
        name: "生态环保",
        phrases: &[
            "大气污染防治",
            "扬尘污染治理",
            "噪声污染治理",
            "生态保护修复",
            "绿色低碳发展",
        ],
        words: &[
            "污染",
            "环保",
            "大气",
            "扬尘",
            "排放",
            "噪声",
            "碳达峰",
            "碳中和",
            "节能",
            "新能源",
            "绿色",
            "低碳",
            "生态",
            "修复",
            "监测",
            "秸秆",
            "工地",
            "油烟",
            "餐饮",
            "工业",
            "光伏",
            "重污染天气",
            "挥发性有机物",
            "清洁能源",
            "散煤",
            "生物多样性",
            "植树",
            "绿化",
            "湿地",
            "矿山",
        ],
    },
    Topic {
        name: "住房保障",
        phrases: &[
            "保障性租赁住房",
            "公租房管理",
            "住房租赁市场规范",
            "新市民住房",
            "房地产市场平稳发展",
        ],
        words: &[
            "住房",
            "租赁",
            "保障性",
            "公租房",
            "租金",
            "房源",
            "新市民",
            "青年",
            "房地产",
            "市场",
            "购房",
            "公积金",
            "中介",
            "房东",
            "租客",
            "配租",
            "轮候",
            "人才公寓",
            "房价",
            "供给",
            "长租",
            "群租",
            "备案",
            "押金",
            "商品房",
            "去库存",
            "保交楼",
            "存量房",
            "二手房",
            "共有产权",
        ],
    },
    Topic {
        name: "体育健身",
        phrases: &[
            "全民健身设施建设",
            "公共体育设施开放",
            "青少年体育",
            "体育场馆免费开放",
            "健身步道建设",
        ],
        words: &[
            "体育",
            "健身",
            "场馆",
            "全民健身",
            "场地",
            "体育设施",
            "健身器材",
            "步道",
            "开放",
            "篮球场",
            "足球场",
            "青少年",
            "赛事",
            "运动",
            "学校体育场",
            "社会体育指导员",
            "游泳",
            "广场舞",
            "体育公园",
            "群众体育",
            "维护",
            "损坏",
            "错时开放",
            "冰雪",
            "体质",
            "俱乐部",
            "体教融合",
            "公园",
            "绿道",
            "健身房",
        ],
    },
    Topic {
        name: "预付卡与消费",
        phrases: &[
            "预付式消费监管",
            "消费者权益保护",
            "夜间经济发展",
            "直播带货监管",
            "老年人消费陷阱",
        ],
        words: &[
            "消费者",
            "消费",
            "预付卡",
            "商家",
            "维权",
            "跑路",
            "退费",
            "监管",
            "投诉",
            "夜间经济",
            "夜市",
            "商圈",
            "直播带货",
            "虚假宣传",
            "保健品",
            "诈骗",
            "老年人",
            "合同",
            "资金监管",
            "健身房",
            "培训机构",
            "美容美发",
            "押金",
            "信用",
            "市场监管",
            "促销",
            "步行街",
            "首店",
            "消费券",
            "假冒伪劣",
        ],
    },
    Topic {
        name: "心理健康",
        phrases: &[
            "青少年心理健康",
            "社会心理服务体系建设",
            "心理咨询服务",
            "职工心理关爱",
            "精神卫生",
        ],
        words: &[
            "心理",
            "心理健康",
            "心理咨询",
            "抑郁",
            "青少年",
            "危机干预",
            "心理疏导",
            "热线",
            "精神卫生",
            "焦虑",
            "辅导",
            "专职",
            "心理教师",
            "筛查",
            "社会心理服务",
            "家庭教育",
            "沟通",
            "压力",
            "自伤",
            "精神障碍",
            "康复",
            "医生",
            "专业",
            "测评",
            "关爱",
            "留守儿童",
            "网络成瘾",
            "校园欺凌",
            "家长",
            "疏导",
        ],
    },
];

/// Words of every topic's proposals, most common first: the policy words
/// that make a common term common.
const COMMON: &[&str] = &[
    "机制",
    "政策",
    "资金",
    "社区",
    "标准",
    "平台",
    "体系",
    "保障",
    "基层",
    "资源",
    "居民",
    "企业",
    "市场",
    "项目",
    "人员",
    "设施",
    "公共",
    "统筹",
    "协调",
    "规划",
    "专项",
    "试点",
    "示范",
    "配套",
    "财政",
    "补贴",
    "监督",
    "考核",
    "信息",
    "数据",
    "宣传",
    "培训",
    "队伍",
    "经费",
    "街道",
    "乡镇",
    "区域",
    "城市",
    "农村",
    "家庭",
    "质量",
    "效率",
    "成本",
    "需求",
    "供给",
    "运营",
    "维护",
    "整改",
    "排查",
    "评估",
    "长效",
    "联动",
    "共享",
    "整合",
    "激励",
    "引导",
    "鼓励",
    "支持",
    "扶持",
    "规范",
    "法规",
    "条例",
    "办法",
    "细则",
    "指导",
    "督查",
    "通报",
    "问责",
    "绩效",
    "预算",
    "投资",
    "融资",
    "收费",
    "价格",
    "合同",
    "招标",
    "采购",
    "第三方",
    "社会力量",
    "市场化",
    "公益",
    "志愿",
    "参与",
    "满意度",
    "覆盖",
    "短板",
    "瓶颈",
    "难点",
    "堵点",
    "痛点",
    "薄弱",
    "滞后",
    "不足",
    "缺乏",
    "分散",
    "碎片化",
    "不均衡",
    "不规范",
    "不到位",
    "不畅",
    "现状",
    "调研",
    "数据显示",
    "统计",
    "比例",
    "人口",
    "常住人口",
    "户籍",
    "流动",
    "老龄",
    "区县",
    "省级",
    "市级",
    "区级",
    "县级",
    "中心城区",
    "新区",
    "开发区",
    "园区",
    "片区",
    "信息化",
    "智能化",
    "标准化",
    "规范化",
    "精细化",
    "便民",
    "惠民",
    "民生",
    "实事",
    "获得感",
    "安全感",
    "幸福感",
    "高质量",
    "现代化",
    "一体化",
    "协同",
    "融合",
    "转型",
    "升级",
    "创新",
    "改革",
    "政策性",
    "制度化",
    "常态化",
    "法治",
    "依法",
    "执法",
    "权益",
    "责任主体",
    "主管部门",
    "职能",
    "编制",
    "岗位",
    "待遇",
    "激励机制",
    "奖补",
    "以奖代补",
    "先行先试",
    "经验",
    "做法",
];

/// Sentences every proposal is written with (set phrases of official
/// writing); `{p}` is the topic's phrase.
const OPENINGS: &[&str] = &[
    "近年来，{p}取得了积极进展，但与群众的期盼相比仍有差距。",
    "{p}关系群众切身利益，是民生工作的重要内容。",
    "党的二十大报告提出，要增进民生福祉，提高人民生活品质。{p}是其中的重要一环。",
    "随着经济社会的发展，{p}日益受到社会关注。",
    "我市高度重视{p}，出台了一系列政策措施，取得了一定成效。",
    "{p}是推进基层治理现代化的重要抓手。",
];
const HEADINGS_PROBLEMS: &[&str] = &[
    "一、存在的问题",
    "目前主要存在以下问题：",
    "经调研，发现存在以下问题：",
];
const HEADINGS_ADVICE: &[&str] = &["二、几点建议", "为此，建议：", "对此，提出如下建议："];
const ORDINALS: &[&str] = &["一是", "二是", "三是", "四是", "五是", "六是"];
const CLOSINGS: &[&str] = &[
    "以上建议，请有关部门研究采纳。",
    "建议有关部门高度重视，切实抓好落实。",
    "希望相关部门加强协作，形成工作合力。",
];

/// Sentence templates: `{t}` a topic word, `{c}` a common word, `{n}` a
/// number, `{x}` a place or a name of the long tail.
const PROBLEMS: &[&str] = &[
    "{t}{c}不足，{t}与{t}之间的矛盾较为突出。",
    "部分{t}存在{c}不到位、{c}滞后等问题，群众反映较多。",
    "据统计，{x}现有{t}{n}处，仅能满足约{n}%的需求。",
    "{t}的{c}不够健全，{c}和{c}衔接不畅。",
    "{x}的{t}长期{c}，{t}问题没有得到根本解决。",
    "{t}{c}分散，{c}缺乏统一{c}，{t}难以发挥作用。",
    "在{x}调研时了解到，{t}和{t}问题较为普遍，{c}压力较大。",
    "{n}年以来，{t}相关投诉达{n}件，其中涉及{t}的占{n}%。",
    "{t}领域{c}{c}，{t}的专业{c}缺乏。",
    "基层{t}任务重，{c}{c}，{t}工作人员不足{n}人。",
];
const ADVICE: &[&str] = &[
    "完善{t}{c}，明确{c}和{c}的责任。",
    "加大{t}的{c}投入，对{t}给予{c}。",
    "推广{x}的{t}做法，建立{t}{c}。",
    "统筹{t}与{t}，推动{c}{c}。",
    "将{t}纳入{c}，每年安排{n}万元用于{t}。",
    "鼓励{c}参与{t}，探索{t}的{c}模式。",
    "加强{t}{c}建设，提升{t}的{c}水平。",
    "建立{t}{c}平台，实现{t}信息{c}。",
    "出台{t}{c}，规范{t}和{t}。",
    "在{x}开展{t}试点，总结经验后逐步推开。",
];

/// Title forms, with `{v}` a verb of asking and `{p}` the topic's phrase.
const TITLE_FORMS: &[&str] = &[
    "关于{v}{p}的建议",
    "关于{v}{p}的提案",
    "关于{p}的建议",
    "关于{p}的几点建议",
    "关于{v}{x}{p}的建议",
    "关于{p}中{t}问题的建议",
    "关于{v}{p}和{t}的提案",
    "{v}{p}",
    "关于{t}{c}的建议",
];
const TITLE_VERBS: &[&str] = &[
    "进一步加强",
    "加快推进",
    "推动",
    "完善",
    "优化",
    "加强",
    "切实解决",
    "规范",
    "健全",
    "提升",
    "破解",
    "做好",
    "深化",
];

/// Syllables of place and project names (the long tail of rare words).
const NAME_CHARS: &[char] = &[
    '金', '水', '东', '西', '南', '北', '新', '华', '光', '明', '安', '平', '和', '兴', '福', '康',
    '永', '丰', '长', '青', '花', '园', '湖', '山', '桥', '河', '林', '春', '阳', '泰', '宁', '盛',
    '龙', '凤', '云', '翠', '梅', '柳', '松', '石', '沙', '滨', '港', '城', '民', '仁', '德', '文',
];
const PLACE_SUFFIXES: &[&str] = &[
    "路", "街道", "社区", "村", "镇", "小区", "家园", "花园", "新村", "园区",
];

/// Weights 1/k^s for a list of `n` items, as a running total.
fn zipf_totals(n: usize, s: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|k| {
            total += 1.0 / (k as f64).powf(s);
            total
        })
        .collect()
}

fn draw(rng: &mut StdRng, totals: &[f64]) -> usize {
    let last = totals.last().copied().unwrap_or(0.0);
    let x = rng.gen::<f64>() * last;
    totals
        .partition_point(|t| *t <= x)
        .min(totals.len().saturating_sub(1))
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

/// A generated proposal and the topic it is about.
#[derive(Debug, Clone)]
pub struct Generated {
    pub topic: usize,
    pub title: String,
    pub body: String,
}

/// Draws proposals; one generator holds the weights of every list.
pub struct Corpus {
    topics: Vec<f64>,
    topic_words: Vec<Vec<f64>>,
    common: Vec<f64>,
    /// Place and project names: a few thousand, drawn with Zipf weights too.
    names: Vec<String>,
    name_weights: Vec<f64>,
}

impl Default for Corpus {
    fn default() -> Self {
        Self::new()
    }
}

impl Corpus {
    pub fn new() -> Self {
        let mut names = Vec::with_capacity(NAME_CHARS.len() * NAME_CHARS.len());
        for (i, a) in NAME_CHARS.iter().enumerate() {
            for (j, b) in NAME_CHARS.iter().enumerate() {
                if a != b {
                    let suffix = PLACE_SUFFIXES[(i * 7 + j * 3) % PLACE_SUFFIXES.len()];
                    names.push(format!("{a}{b}{suffix}"));
                }
            }
        }
        // A fixed shuffle so that the common names are not all of one syllable.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_key(|i| (i.wrapping_mul(2_654_435_761)) % 1_000_003);
        let names: Vec<String> = order.into_iter().map(|i| names[i].clone()).collect();
        Self {
            topics: zipf_totals(TOPICS.len(), 0.6),
            topic_words: TOPICS
                .iter()
                .map(|t| zipf_totals(t.words.len(), 1.0))
                .collect(),
            common: zipf_totals(COMMON.len(), 0.9),
            name_weights: zipf_totals(names.len(), 1.0),
            names,
        }
    }

    pub fn topic_count(&self) -> usize {
        TOPICS.len()
    }

    /// A topic, drawn by how common it is.
    pub fn draw_topic(&self, rng: &mut StdRng) -> usize {
        draw(rng, &self.topics)
    }

    fn topic_word(&self, rng: &mut StdRng, topic: usize) -> &'static str {
        TOPICS[topic].words[draw(rng, &self.topic_words[topic])]
    }

    fn common_word(&self, rng: &mut StdRng) -> &'static str {
        COMMON[draw(rng, &self.common)]
    }

    fn name(&self, rng: &mut StdRng) -> &str {
        &self.names[draw(rng, &self.name_weights)]
    }

    /// Fill a template's slots; a tenth of the topic words come from the
    /// second topic, when there is one.
    fn fill(
        &self,
        rng: &mut StdRng,
        template: &str,
        topic: usize,
        second: Option<usize>,
        phrase: &str,
    ) -> String {
        let mut out = String::with_capacity(template.len() * 2);
        let mut rest = template;
        while let Some(at) = rest.find('{') {
            out.push_str(&rest[..at]);
            let slot = rest.as_bytes().get(at + 1).copied().unwrap_or(b'}');
            match slot {
                b't' => {
                    let t = match second {
                        Some(s) if rng.gen_bool(0.15) => s,
                        _ => topic,
                    };
                    out.push_str(self.topic_word(rng, t));
                }
                b'c' => out.push_str(self.common_word(rng)),
                b'n' => out.push_str(&rng.gen_range(2..2000).to_string()),
                b'x' => out.push_str(self.name(rng)),
                b'p' => out.push_str(phrase),
                b'v' => out.push_str(pick(rng, TITLE_VERBS)),
                _ => {}
            }
            rest = rest.get(at + 3..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }

    /// Fill one of `templates`, drawn at random.
    fn fill_any(
        &self,
        rng: &mut StdRng,
        templates: &[&str],
        topic: usize,
        second: Option<usize>,
        phrase: &str,
    ) -> String {
        let template = pick(rng, templates);
        self.fill(rng, template, topic, second, phrase)
    }

    /// A title on `topic`, in one of the forms real titles take.
    pub fn title(&self, rng: &mut StdRng, topic: usize) -> String {
        let phrase = pick(rng, TOPICS[topic].phrases);
        self.fill_any(rng, TITLE_FORMS, topic, None, phrase)
    }

    /// A proposal on a topic drawn by how common it is.
    pub fn proposal(&self, rng: &mut StdRng) -> Generated {
        let topic = self.draw_topic(rng);
        self.proposal_on(rng, topic)
    }

    /// A proposal on `topic`: a title, and a body of 300–1,500 characters
    /// (most about 500–900) with an opening, the problems, the advice and
    /// a closing; a third of the proposals touch a second topic.
    pub fn proposal_on(&self, rng: &mut StdRng, topic: usize) -> Generated {
        let title = self.title(rng, topic);
        let second = rng
            .gen_bool(0.33)
            .then(|| self.draw_topic(rng))
            .filter(|s| *s != topic);
        let phrase = pick(rng, TOPICS[topic].phrases);
        // Roughly log-normal lengths, clamped to what proposals run to.
        let spread: f64 = (0..3).map(|_| rng.gen::<f64>()).sum::<f64>() / 3.0;
        let target = (300.0 * (5.0f64).powf(spread)).clamp(300.0, 1500.0) as usize;
        let mut body = self.fill_any(rng, OPENINGS, topic, second, phrase);
        body.push_str(pick(rng, HEADINGS_PROBLEMS));
        let mut chars = body.chars().count();
        let problems_until = target * 2 / 5;
        let mut n = 0;
        while chars < problems_until && n < ORDINALS.len() {
            let s = format!(
                "{}{}",
                ORDINALS[n],
                self.fill_any(rng, PROBLEMS, topic, second, phrase)
            );
            chars += s.chars().count();
            body.push_str(&s);
            n += 1;
        }
        body.push_str(pick(rng, HEADINGS_ADVICE));
        let mut n = 0;
        let closing = pick(rng, CLOSINGS);
        let end = target.saturating_sub(closing.chars().count());
        while chars < end {
            let s = if n < ORDINALS.len() {
                format!(
                    "{}{}",
                    ORDINALS[n],
                    self.fill_any(rng, ADVICE, topic, second, phrase)
                )
            } else {
                self.fill_any(rng, ADVICE, topic, second, phrase)
            };
            chars += s.chars().count();
            body.push_str(&s);
            n += 1;
        }
        body.push_str(closing);
        Generated { topic, title, body }
    }

    /// A search box query of about `chars` characters: words of one topic
    /// and a common word, run together as people type them.
    pub fn query(&self, rng: &mut StdRng, chars: usize) -> String {
        let topic = self.draw_topic(rng);
        let mut q = String::new();
        let mut len = 0;
        while len < chars {
            let w = if rng.gen_bool(0.2) {
                self.common_word(rng)
            } else {
                self.topic_word(rng, topic)
            };
            let wl = w.chars().count();
            if len + wl > chars + 2 && len > 0 {
                break;
            }
            q.push_str(w);
            len += wl;
        }
        q
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn bodies_and_titles_look_like_proposals() {
        let corpus = Corpus::new();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..300 {
            let p = corpus.proposal(&mut rng);
            let n = p.body.chars().count();
            assert!((300..=1700).contains(&n), "{n}: {}", p.body);
            assert!(p.title.chars().count() <= 60, "{}", p.title);
            assert!(!p.body.contains('{'), "{}", p.body);
            assert!(!p.title.contains('{'), "{}", p.title);
        }
        let q = corpus.query(&mut rng, 20);
        assert!((10..=24).contains(&q.chars().count()), "{q}");
    }

    fn index_of(corpus: &Corpus, rng: &mut StdRng, n: usize) -> crate::search::Index {
        let mut index = crate::search::Index::new();
        add_proposals(corpus, rng, &mut index, 0..n as i64);
        index.refresh_norms();
        index
    }

    /// Generated proposals numbered `ids`, in three organisations by id.
    fn add_proposals(
        corpus: &Corpus,
        rng: &mut StdRng,
        index: &mut crate::search::Index,
        ids: std::ops::Range<i64>,
    ) {
        for id in ids {
            let p = corpus.proposal(rng);
            index.upsert(crate::search::Doc {
                kind: crate::search::DocKind::Proposal,
                id,
                org_path: format!("/1/{}/", id % 3),
                date: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                title: p.title,
                body: p.body,
                members: Vec::new(),
                departments: Vec::new(),
                public: true,
            });
        }
    }

    /// The pruned ranking against the exhaustive one (recall@10 at least
    /// 0.99, the same scores) and against reading every posting (with a
    /// visibility rule), on `drafts` generated drafts.
    fn check_pruned_ranking(
        corpus: &Corpus,
        rng: &mut StdRng,
        index: &mut crate::search::Index,
        drafts: usize,
    ) {
        use crate::search::DocKind;
        let (mut found, mut expected) = (0usize, 0usize);
        for i in 0..drafts {
            let d = corpus.proposal(rng);
            // Drafts of a whole text, and of a title alone.
            let body = if i % 4 == 0 { "" } else { d.body.as_str() };
            let fast = index.similar_exact(
                DocKind::Proposal,
                &d.title,
                body,
                10,
                crate::search::index::Everyone,
            );
            // An index this small is ranked exactly as served.
            let served = index.similar(
                DocKind::Proposal,
                &d.title,
                body,
                10,
                crate::search::index::Everyone,
            );
            assert_eq!(served.len(), fast.len());
            for (a, b) in served.iter().zip(&fast) {
                assert!(
                    a.id == b.id && (a.score - b.score).abs() < 1e-5,
                    "{a:?} {b:?}"
                );
            }
            let slow = index.similar_exhaustive(DocKind::Proposal, &d.title, body, 10);
            let exact: HashSet<i64> = slow.iter().map(|s| s.id).collect();
            found += fast.iter().filter(|s| exact.contains(&s.id)).count();
            expected += exact.len();
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a.score - b.score).abs() < 1e-4, "{a:?} {b:?}");
            }
            // With the caller's visibility rule: the same as reading every posting.
            let visible = |e: &crate::search::index::Entry| e.org_path.as_ref() != "/1/1/";
            let fast = index.similar_exact(DocKind::Proposal, &d.title, body, 10, visible);
            let every = index.similar_unpruned(DocKind::Proposal, &d.title, body, 10, visible);
            assert_eq!(fast.len(), every.len());
            for (a, b) in fast.iter().zip(&every) {
                assert!((a.score - b.score).abs() < 1e-4, "{a:?} {b:?}");
                assert!(a.id % 3 != 1, "{a:?} is not visible");
            }
        }
        let recall = found as f64 / expected.max(1) as f64;
        assert!(recall >= 0.99, "recall@10 {recall}");
    }

    /// Finding candidates by the rarer words' postings and completing only
    /// the best of them (as many postings and candidates for each document
    /// as `similar` reads and completes of 100,000) keeps recall@10 against
    /// the exact ranking at 0.99 or more, and every score it returns is the
    /// exact one.
    #[test]
    fn ranking_a_cut_of_the_candidates_keeps_the_exact_top_ten() {
        use crate::search::index::{Approximation, SIMILAR_APPROXIMATION};
        use crate::search::DocKind;
        let corpus = Corpus::new();
        let mut rng = StdRng::seed_from_u64(6);
        let n = 3000;
        let mut index = index_of(&corpus, &mut rng, n);
        index.compact();
        let (mut found, mut expected) = (0usize, 0usize);
        for _ in 0..40 {
            let d = corpus.proposal(&mut rng);
            let bounded = Approximation {
                postings: SIMILAR_APPROXIMATION.postings * n / 100_000,
                candidates: SIMILAR_APPROXIMATION.candidates * n / 100_000,
            };
            let cut = index.similar_among(
                DocKind::Proposal,
                &d.title,
                &d.body,
                10,
                Some(bounded),
                crate::search::index::Everyone,
            );
            let exact = index.similar_exact(
                DocKind::Proposal,
                &d.title,
                &d.body,
                10,
                crate::search::index::Everyone,
            );
            assert_eq!(cut.len(), exact.len());
            let every = index.similar_exhaustive(DocKind::Proposal, &d.title, &d.body, 1000);
            for hit in &cut {
                let truth = every.iter().find(|s| s.id == hit.id).unwrap();
                assert!((hit.score - truth.score).abs() < 1e-4, "{hit:?} {truth:?}");
            }
            assert!(cut.windows(2).all(|w| w[0].score >= w[1].score), "{cut:?}");
            found += cut
                .iter()
                .filter(|s| exact.iter().any(|e| e.id == s.id))
                .count();
            expected += exact.len();
        }
        let recall = found as f64 / expected.max(1) as f64;
        assert!(recall >= 0.99, "recall@10 {recall}");
    }

    #[test]
    fn pruned_ranking_keeps_the_exhaustive_top_ten() {
        let corpus = Corpus::new();
        let mut rng = StdRng::seed_from_u64(3);
        let mut index = index_of(&corpus, &mut rng, 1500);
        check_pruned_ranking(&corpus, &mut rng, &mut index, 24);
    }

    /// Once the common terms are columns, and while documents come and go
    /// after that, the ranking is still the exhaustive one.
    #[test]
    fn pruned_ranking_over_columns_keeps_the_exhaustive_top_ten() {
        use crate::search::DocKind;
        let corpus = Corpus::new();
        let mut rng = StdRng::seed_from_u64(4);
        let mut index = index_of(&corpus, &mut rng, 1200);
        index.compact();
        for id in (0..1200).step_by(7) {
            index.remove(DocKind::Proposal, id);
        }
        add_proposals(&corpus, &mut rng, &mut index, 1200..1500);
        index.refresh_norms();
        check_pruned_ranking(&corpus, &mut rng, &mut index, 24);
    }

    /// Documents added after the common terms became columns, with no
    /// refresh of the norms since (a large index refreshes only after 1% has
    /// changed), raise their terms' bounds as they come and rank as reading
    /// every posting does.
    #[test]
    fn pruned_ranking_over_columns_keeps_documents_added_since() {
        use crate::search::DocKind;
        let corpus = Corpus::new();
        let mut rng = StdRng::seed_from_u64(5);
        let mut index = index_of(&corpus, &mut rng, 1200);
        index.compact();
        add_proposals(&corpus, &mut rng, &mut index, 1200..1400);
        for _ in 0..24 {
            let d = corpus.proposal(&mut rng);
            let fast = index.similar_exact(
                DocKind::Proposal,
                &d.title,
                &d.body,
                10,
                crate::search::index::Everyone,
            );
            let every = index.similar_unpruned(DocKind::Proposal, &d.title, &d.body, 10, |_| true);
            assert_eq!(fast.len(), 10);
            for (a, b) in fast.iter().zip(&every) {
                assert_eq!(a.id, b.id, "{fast:?} {every:?}");
                assert!((a.score - b.score).abs() < 1e-4, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn common_words_are_in_many_proposals_and_the_tail_is_long() {
        let corpus = Corpus::new();
        let mut rng = StdRng::seed_from_u64(2);
        let n = 2000;
        let mut df: HashMap<String, usize> = HashMap::new();
        for _ in 0..n {
            let p = corpus.proposal(&mut rng);
            let words: HashSet<String> = crate::search::segmenter()
                .terms(&format!("{} {}", p.title, p.body))
                .into_iter()
                .collect();
            for w in words {
                *df.entry(w).or_default() += 1;
            }
        }
        let mut by_df: Vec<usize> = df.values().copied().collect();
        by_df.sort_unstable_by(|a, b| b.cmp(a));
        // The commonest index terms are in a large share of the proposals…
        assert!(by_df[0] * 2 > n, "{:?}", &by_df[..10]);
        assert!(by_df[20] * 5 > n, "{:?}", &by_df[..30]);
        // … and most terms are rare.
        let rare = by_df.iter().filter(|d| **d * 100 < n).count();
        assert!(rare * 2 > by_df.len(), "{rare} of {}", by_df.len());
    }
}
