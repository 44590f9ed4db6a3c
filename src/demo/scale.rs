//! A large generated committee tree for load tests (`lvzhi demo --scale`):
//! a province (or a city, or a district) down to member groups, with five
//! years of reception days, visits, cases with every step, activities with
//! invitations and attendance, proposals with their handling, and each
//! member's duty file.
//!
//! The data follow from the seed alone (`StdRng`, ChaCha12): the same seed
//! gives the same rows. Only the ciphertexts differ between runs, since every
//! encryption takes a fresh nonce. Personal numbers are made valid (the ID
//! number's check character from [`crate::domain::id_number`]) and stored as
//! the application stores them: encrypted, with the keyed hash and the masked
//! copy. Rows are written in bulk ([`crate::storage::bulk`]); the whole load
//! is one audit row (`demo_scale`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc, Weekday};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::domain::id_number::{with_check_char, ResidentId};
use crate::domain::phone::MobilePhone;
use crate::security::crypto::FieldCipher;
use crate::storage::bulk::{Loader, Table, Val};
use crate::storage::{audit, Db};

/// The default seed of `--seed`.
pub const DEFAULT_SEED: u64 = 2012;

/// The password of every generated account (one argon2 hash, shared).
pub const PASSWORD: &str = "Lvzhi-Scale-2025";

/// How large a tree to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A few members in two committees over one year (tests).
    Tiny,
    /// One district: about 1/20 of the province.
    District,
    /// One city: about 1/5 of the province.
    City,
    /// A province: over 30,000 members and 3,000 departments.
    Province,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "tiny" => Some(Scale::Tiny),
            "district" => Some(Scale::District),
            "city" => Some(Scale::City),
            "province" => Some(Scale::Province),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Scale::Tiny => "tiny",
            Scale::District => "district",
            Scale::City => "city",
            Scale::Province => "province",
        }
    }

    fn sizes(&self) -> Sizes {
        match self {
            Scale::Tiny => Sizes {
                root: "district",
                cities: 1,
                districts: 1,
                subdistricts: 2,
                groups: 2,
                members_per_group: 3,
                province_departments: 0,
                city_departments: 0,
                district_departments: 4,
                first_year: 2025,
            },
            Scale::District => Sizes {
                root: "district",
                cities: 1,
                districts: 1,
                subdistricts: 28,
                groups: 5,
                members_per_group: 11,
                province_departments: 0,
                city_departments: 0,
                district_departments: 30,
                first_year: 2021,
            },
            Scale::City => Sizes {
                root: "city",
                cities: 1,
                districts: 12,
                subdistricts: 9,
                groups: 5,
                members_per_group: 11,
                province_departments: 0,
                city_departments: 10,
                district_departments: 30,
                first_year: 2021,
            },
            Scale::Province => Sizes {
                root: "province",
                cities: 12,
                districts: 8,
                subdistricts: 6,
                groups: 5,
                members_per_group: 11,
                province_departments: 20,
                city_departments: 10,
                district_departments: 30,
                first_year: 2021,
            },
        }
    }
}

#[derive(Clone, Copy)]
struct Sizes {
    /// province | city | district
    root: &'static str,
    cities: usize,
    /// Per city.
    districts: usize,
    /// Per district.
    subdistricts: usize,
    /// Per subdistrict committee.
    groups: usize,
    members_per_group: usize,
    province_departments: usize,
    city_departments: usize,
    district_departments: usize,
    first_year: i32,
}

/// The last day of generated history (five full years: 2021–2025).
fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default()
}

/// What a load wrote.
#[derive(Debug, Clone)]
pub struct Report {
    pub scale: Scale,
    pub seed: u64,
    /// Rows per table, in load order.
    pub tables: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
    /// (role, user name, organisation) of a few accounts per level.
    pub logins: Vec<(&'static str, String, String)>,
}

impl Report {
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error(
        "the database already holds data ({0}): generated data loads only into an empty database \
         (a new SQLite file, or a new PostgreSQL database)"
    )]
    NotEmpty(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] crate::security::HashError),
    #[error("{0}")]
    Other(String),
}

/// Tables the loader writes, parents first.
const ORGS: usize = 0;
const COMMUNITIES: usize = 1;
const GROUPS: usize = 2;
const DEPARTMENTS: usize = 3;
const MEMBERS: usize = 4;
const USERS: usize = 5;
const RECEPTION_DAYS: usize = 6;
const RECEPTION_DUTY: usize = 7;
const VISITS: usize = 8;
const CASES: usize = 9;
const CASE_EVENTS: usize = 10;
const ACTIVITIES: usize = 11;
const INVITATIONS: usize = 12;
const REPORTS: usize = 13;
const AWARDS: usize = 14;
const PROPOSALS: usize = 15;
const COSIGNERS: usize = 16;
const HANDLERS: usize = 17;
const RATINGS: usize = 18;
const PROPOSAL_EVENTS: usize = 19;
const TIMELINE: usize = 20;
const PLANS: usize = 21;
const PLAN_ITEMS: usize = 22;
const POINTS_RULES: usize = 23;
const PROJECTS: usize = 24;
const PROJECT_UPDATES: usize = 25;
const NOTIFICATIONS: usize = 26;

const ORG_COLUMNS: &[&str] = &[
    "id",
    "parent_id",
    "kind",
    "name",
    "path",
    "community_id",
    "created_at",
    "updated_at",
    "version",
];

const TABLES: &[Table] = &[
    Table {
        name: "orgs",
        columns: ORG_COLUMNS,
    },
    Table {
        name: "communities",
        columns: &[
            "id",
            "org_id",
            "name",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    // Groups are organisations too, written after the communities they link to.
    Table {
        name: "orgs",
        columns: ORG_COLUMNS,
    },
    Table {
        name: "departments",
        columns: &[
            "id",
            "org_id",
            "name",
            "contact",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "members",
        columns: &[
            "id",
            "org_id",
            "group_id",
            "name",
            "gender",
            "ethnicity",
            "party",
            "sector",
            "workplace",
            "title",
            "phone_enc",
            "phone_masked",
            "id_number_enc",
            "id_number_hash",
            "id_number_masked",
            "birth_date",
            "joined_on",
            "term",
            "status",
            "created_at",
            "updated_at",
            "version",
            "name_key",
        ],
    },
    Table {
        name: "users",
        columns: &[
            "id",
            "username",
            "display_name",
            "password_hash",
            "role",
            "org_id",
            "member_id",
            "department_id",
            "locale",
            "must_change_password",
            "disabled",
            "password_changed_at",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "reception_days",
        columns: &[
            "id",
            "org_id",
            "nominal_on",
            "held_on",
            "duty_group_id",
            "note",
            "created_at",
            "created_by",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "reception_duty",
        columns: &["id", "reception_day_id", "member_id"],
    },
    Table {
        name: "visits",
        columns: &[
            "id",
            "reception_day_id",
            "people",
            "community",
            "summary",
            "visitor_name",
            "phone_enc",
            "phone_masked",
            "outcome",
            "answer",
            "received_by",
            "created_at",
            "created_by",
        ],
    },
    Table {
        name: "cases",
        columns: &[
            "id",
            "org_id",
            "source",
            "visit_id",
            "raised_by",
            "community",
            "title",
            "description",
            "contact_name",
            "contact_phone_enc",
            "contact_phone_masked",
            "received_on",
            "status",
            "department_id",
            "forwarded_on",
            "due_on",
            "resolved_on",
            "reply",
            "satisfaction",
            "escalations",
            "last_escalated_on",
            "tracking_hash",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "case_events",
        columns: &[
            "id",
            "case_id",
            "at",
            "occurred_on",
            "action",
            "from_status",
            "to_status",
            "department_id",
            "note",
            "detail",
            "user_id",
            "username",
        ],
    },
    Table {
        name: "activities",
        columns: &[
            "id",
            "org_id",
            "group_id",
            "kind",
            "title",
            "held_on",
            "place",
            "organiser",
            "description",
            "amount_yuan",
            "five_ones",
            "approval",
            "logged_by",
            "decision_reason",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "activity_invitations",
        columns: &[
            "id",
            "activity_id",
            "member_id",
            "reply",
            "reply_reason",
            "attendance",
            "attendance_reason",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "research_reports",
        columns: &[
            "id",
            "activity_id",
            "title",
            "body",
            "submitted_to",
            "submitted_on",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "awards",
        columns: &[
            "id",
            "member_id",
            "year",
            "category",
            "title",
            "evidence",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "proposals",
        columns: &[
            "id",
            "org_id",
            "session",
            "number",
            "submitter_kind",
            "lead_member_id",
            "group_id",
            "title",
            "body",
            "category",
            "status",
            "submitted_on",
            "reviewed_on",
            "not_accepted_reason",
            "merged_into_id",
            "assigned_on",
            "due_on",
            "round",
            "answered_on",
            "answer",
            "answer_class",
            "closed_on",
            "is_key",
            "supervisions",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "proposal_cosigners",
        columns: &[
            "id",
            "proposal_id",
            "member_id",
            "status",
            "invited_at",
            "responded_at",
        ],
    },
    Table {
        name: "proposal_handlers",
        columns: &[
            "id",
            "proposal_id",
            "department_id",
            "role",
            "view",
            "view_on",
        ],
    },
    Table {
        name: "proposal_ratings",
        columns: &[
            "id",
            "proposal_id",
            "member_id",
            "round",
            "rating",
            "comment",
            "rated_on",
            "created_by",
        ],
    },
    Table {
        name: "proposal_events",
        columns: &[
            "id",
            "proposal_id",
            "at",
            "occurred_on",
            "action",
            "from_status",
            "to_status",
            "department_id",
            "note",
            "detail",
            "user_id",
            "username",
        ],
    },
    Table {
        name: "timeline_entries",
        columns: &[
            "id",
            "member_id",
            "occurred_on",
            "kind",
            "title",
            "object_type",
            "object_id",
            "created_at",
            "created_by",
        ],
    },
    Table {
        name: "plans",
        columns: &[
            "id",
            "org_id",
            "year",
            "title",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "plan_items",
        columns: &[
            "id",
            "plan_id",
            "position",
            "text",
            "scope",
            "period",
            "rule_condition",
            "created_at",
            "updated_at",
        ],
    },
    Table {
        name: "points_rules",
        columns: &[
            "id",
            "org_id",
            "year",
            "rules",
            "updated_by",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "projects",
        columns: &[
            "id",
            "org_id",
            "year",
            "name",
            "kind",
            "status",
            "total_investment",
            "annual_target",
            "households",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
    },
    Table {
        name: "project_updates",
        columns: &[
            "id",
            "project_id",
            "occurred_on",
            "invested",
            "compensated",
            "demolished",
            "note",
            "user_id",
            "username",
            "at",
        ],
    },
    Table {
        name: "notifications",
        columns: &[
            "id",
            "recipient_id",
            "kind",
            "record_kind",
            "record_id",
            "due_on",
            "text_key",
            "params",
            "created_at",
            "read_at",
        ],
    },
];

// ---------------------------------------------------------------- word lists

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚",
    "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "红", "玉", "兰", "志", "春",
    "海", "林", "云", "雪", "梅", "宁", "松", "德", "振", "新", "晓", "东", "亮", "慧", "鹏", "飞",
    "雨", "欣", "爱", "郑", "佳", "瑞", "荣", "凤", "宏", "斌", "辉", "琳", "颖", "婷", "军", "波",
];
const PLACES: &[&str] = &[
    "东城", "西苑", "南湖", "北岗", "长江", "黄河", "淮河", "嵩山", "太行", "伏牛", "中原", "金水",
    "二七", "管城", "惠济", "上街", "新郑", "荥阳", "登封", "新密", "巩义", "中牟", "洛水", "伊川",
    "汝州", "宝丰", "鲁山", "郏县", "舞钢", "叶县", "襄城", "鄢陵", "长葛", "禹州", "许昌", "漯河",
    "临颍", "舞阳", "西平", "上蔡", "汝南", "平舆", "正阳", "确山", "泌阳", "遂平", "新蔡", "息县",
    "淮滨", "潢川", "光山", "固始", "商城", "罗山", "新县", "桐柏", "唐河", "社旗", "方城", "南召",
    "内乡", "西峡", "淅川", "镇平", "邓州", "新野", "卧龙", "宛城", "柘城", "睢县", "宁陵", "民权",
];
const ROADS: &[&str] = &[
    "人民路",
    "解放路",
    "建设路",
    "文化路",
    "大学路",
    "工人路",
    "友爱路",
    "和平路",
    "交通路",
    "花园路",
    "经三路",
    "纬五路",
    "农业路",
    "政七街",
    "航海路",
    "陇海路",
    "嵩山路",
    "桐柏路",
    "伏牛路",
    "秦岭路",
    "中原路",
    "淮河路",
    "长江路",
    "黄河路",
    "金水路",
    "丰产路",
    "东风路",
    "南阳路",
    "红旗路",
    "胜利街",
    "健康路",
    "未来路",
    "商都路",
    "紫荆山路",
    "城东路",
    "城北路",
];
const PROVINCE_DEPARTMENTS: &[&str] = &[
    "省发展和改革委员会",
    "省教育厅",
    "省科学技术厅",
    "省工业和信息化厅",
    "省民政厅",
    "省司法厅",
    "省财政厅",
    "省人力资源和社会保障厅",
    "省自然资源厅",
    "省生态环境厅",
    "省住房和城乡建设厅",
    "省交通运输厅",
    "省水利厅",
    "省农业农村厅",
    "省商务厅",
    "省文化和旅游厅",
    "省卫生健康委员会",
    "省应急管理厅",
    "省市场监督管理局",
    "省医疗保障局",
    "省体育局",
    "省统计局",
];
const CITY_DEPARTMENTS: &[&str] = &[
    "市发展和改革委员会",
    "市教育局",
    "市民政局",
    "市财政局",
    "市住房和城乡建设局",
    "市城市管理局",
    "市交通运输局",
    "市生态环境局",
    "市卫生健康委员会",
    "市市场监督管理局",
    "市公安局",
    "市水利局",
];
const DISTRICT_DEPARTMENTS: &[&str] = &[
    "区住房和城乡建设局",
    "区城市管理局",
    "区民政局",
    "区教育局",
    "区卫生健康委员会",
    "区人力资源和社会保障局",
    "区市场监督管理局",
    "区生态环境分局",
    "区交通运输局",
    "区财政局",
    "区发展和改革委员会",
    "区应急管理局",
    "区文化广电和旅游局",
    "区退役军人事务局",
    "区医疗保障局",
    "区农业农村局",
    "区水利局",
    "区自然资源分局",
    "区司法局",
    "区信访局",
    "区公安分局",
    "区供电公司",
    "区自来水公司",
    "区燃气公司",
    "区园林绿化中心",
    "区环卫中心",
    "区房屋征收办公室",
    "区城中村改造办公室",
    "区残疾人联合会",
    "区妇女联合会",
    "区总工会",
    "区团委",
    "区科学技术局",
    "区统计局",
    "区审计局",
];
const SECTORS: &[&str] = &[
    "经济界",
    "教育界",
    "科技界",
    "医药卫生界",
    "文化艺术界",
    "农业界",
    "社会福利界",
    "工商联",
    "共青团",
    "妇联",
    "法律界",
    "中共",
    "无党派人士",
    "社会科学界",
    "新闻出版界",
    "体育界",
];
const PARTIES: &[(&str, u32)] = &[
    ("ccp", 40),
    ("non_party", 20),
    ("masses", 8),
    ("rcck", 4),
    ("cdl", 5),
    ("cndca", 6),
    ("capd", 4),
    ("cpwdp", 4),
    ("zhigong", 3),
    ("jiusan", 5),
    ("tdsl", 1),
];
const ETHNIC: &[(&str, u32)] = &[("汉族", 94), ("回族", 3), ("满族", 2), ("蒙古族", 1)];
const WORKPLACES: &[&str] = &[
    "实业有限公司",
    "中学",
    "人民医院",
    "建设集团",
    "律师事务所",
    "科技有限公司",
    "小学",
    "社区卫生服务中心",
    "商贸有限公司",
    "物业服务有限公司",
    "农业合作社",
    "会计师事务所",
    "文化传媒有限公司",
    "养老服务中心",
];
const TITLES: &[&str] = &[
    "董事长",
    "总经理",
    "校长",
    "教师",
    "主任医师",
    "院长",
    "律师",
    "工程师",
    "会计师",
    "社区书记",
    "社区主任",
    "理事长",
    "经理",
    "副总经理",
    "护士长",
];
const CASE_PLACES: &[&str] = &[
    "小区",
    "家属院",
    "路口",
    "菜市场",
    "背街小巷",
    "老旧楼院",
    "公交站",
    "学校门口",
    "农贸市场",
    "安置区",
    "城中村",
    "公园",
];
const CASE_PROBLEMS: &[&str] = &[
    "路灯不亮",
    "下水道堵塞",
    "占道经营",
    "噪音扰民",
    "垃圾清运不及时",
    "电梯老化停运",
    "违章停车",
    "屋顶漏水",
    "道路坑洼",
    "供暖不热",
    "自来水水压不足",
    "油烟扰民",
    "违章搭建",
    "绿化带缺失",
    "消防通道堵塞",
    "化粪池外溢",
    "无物业管理",
    "安置房迟迟未交付",
    "停车位不足",
    "公厕缺乏保洁",
];
const CASE_ASKS: &[&str] = &[
    "群众反映强烈，希望尽快解决。",
    "居民多次反映未果，请有关部门协调处理。",
    "影响老人和孩子出行安全，请求尽快维修。",
    "夜间影响休息，请求依法处理。",
    "已持续数月，请求明确责任单位。",
];
const REPLIES: &[&str] = &[
    "已安排专人现场处理，问题已解决。",
    "已协调相关单位完成维修，并建立长效管理机制。",
    "已纳入年度改造计划，先行采取临时措施。",
    "经现场核查，已责令整改到位。",
    "已与物业公司对接，明确责任并完成整改。",
];
const ANSWERS: &[&str] = &[
    "群众咨询政策，委员当场解答。",
    "委员现场讲解相关规定，群众表示满意。",
    "已告知办理渠道和所需材料。",
];
const TOPIC_VERBS: &[&str] = &[
    "进一步加强",
    "加快推进",
    "完善",
    "优化",
    "关于推动",
    "切实解决",
    "健全",
    "大力发展",
    "规范",
];
const TOPICS: &[&str] = &[
    "城中村改造安置工作",
    "老旧小区加装电梯",
    "社区居家养老服务",
    "中小学课后服务",
    "背街小巷环境整治",
    "农贸市场规范管理",
    "停车难问题",
    "垃圾分类工作",
    "基层医疗服务能力",
    "小微企业融资",
    "非物质文化遗产保护",
    "公共文化服务体系",
    "智慧社区建设",
    "道路交通秩序",
    "营商环境",
    "青年人才引进",
    "食品安全监管",
    "河道生态治理",
    "物业服务管理",
    "文明城市创建",
    "残疾人就业",
    "农村人居环境",
    "应急避难场所建设",
    "公共体育设施",
    "学前教育资源",
];
const PROPOSAL_CATEGORIES: &[&str] = &[
    "economy",
    "urban",
    "welfare",
    "education",
    "culture",
    "environment",
    "governance",
];
const BODY_PHRASES: &[&str] = &[
    "近年来，我区在该领域做了大量工作，取得了明显成效，但仍存在一些问题。",
    "一是统筹协调机制不够健全，部门之间衔接不畅。",
    "二是资金投入不足，基础设施建设相对滞后。",
    "三是群众参与度不高，宣传引导有待加强。",
    "建议加强顶层设计，明确责任分工，建立长效机制。",
    "建议加大财政投入，引导社会资本参与。",
    "建议完善考核评价办法，把工作成效纳入年度考核。",
    "建议广泛听取群众意见，切实回应群众关切。",
];
const ACTIVITY_KINDS: &[(&str, u32)] = &[
    ("study", 25),
    ("district_meeting", 10),
    ("research", 8),
    ("inspection", 7),
    ("liaison", 10),
    ("charity", 15),
    ("campaign", 15),
    ("party_hearing", 10),
];
const EXCUSES: &[&str] = &["外出学习", "因病请假", "单位有紧急任务", "出差"];

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    &items[0].0
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

fn person_name(rng: &mut StdRng) -> String {
    let mut name = pick(rng, SURNAMES).to_string();
    name.push_str(pick(rng, GIVEN));
    if rng.gen_bool(0.7) {
        name.push_str(pick(rng, GIVEN));
    }
    name
}

fn phone(rng: &mut StdRng) -> String {
    const PREFIXES: &[&str] = &[
        "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
        "157", "158", "159", "176", "177", "180", "181", "185", "186", "187", "188", "189",
    ];
    format!(
        "{}{:08}",
        pick(rng, PREFIXES),
        rng.gen_range(0..100_000_000u32)
    )
}

/// A generated roster entry for other generators (the import benchmark):
/// name, mobile number, sector, workplace and title, from the lists above.
pub fn sample_person(rng: &mut StdRng) -> [String; 5] {
    [
        person_name(rng),
        phone(rng),
        pick(rng, SECTORS).to_string(),
        pick(rng, WORKPLACES).to_string(),
        pick(rng, TITLES).to_string(),
    ]
}

fn proposal_title(rng: &mut StdRng) -> String {
    let verb = pick(rng, TOPIC_VERBS);
    let topic = pick(rng, TOPICS);
    if verb.starts_with("关于") {
        format!("{verb}{topic}的建议")
    } else {
        format!("关于{verb}{topic}的建议")
    }
}

fn proposal_body(rng: &mut StdRng, title: &str) -> String {
    let mut body = format!("{title}。");
    for _ in 0..rng.gen_range(3..6) {
        body.push_str(pick(rng, BODY_PHRASES));
    }
    body
}

/// 09:00 Beijing time on `date`, plus `minutes`.
fn at(date: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let base = date.and_hms_opt(1, 0, 0).unwrap_or_default();
    Utc.from_utc_datetime(&base) + chrono::Duration::minutes(minutes)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The next weekday on or after `d` (the generated calendar has weekends only).
fn weekday_from(mut d: NaiveDate) -> NaiveDate {
    while is_weekend(d) {
        d = d.succ_opt().unwrap_or(d);
    }
    d
}

fn add_working_days(mut d: NaiveDate, n: u32) -> NaiveDate {
    let mut left = n;
    while left > 0 {
        d = d.succ_opt().unwrap_or(d);
        if !is_weekend(d) {
            left -= 1;
        }
    }
    d
}

fn days(d: NaiveDate, n: i64) -> NaiveDate {
    d + chrono::Duration::days(n)
}

// ------------------------------------------------------------- the generator

/// A case step: date, action, from, to, department, note (as staff type
/// one), detail (what the step sets down: a reply, a satisfaction), taken by
/// the department.
type CaseStep = (
    NaiveDate,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<i64>,
    Option<String>,
    Option<String>,
    bool,
);

/// How far a case went: its steps and the case's fields they leave set.
struct CaseHistory {
    events: Vec<CaseStep>,
    status: &'static str,
    department: Option<i64>,
    forwarded: Option<NaiveDate>,
    due: Option<NaiveDate>,
    resolved: Option<NaiveDate>,
    reply: Option<String>,
    satisfaction: Option<String>,
    escalations: i64,
    last_escalated: Option<NaiveDate>,
}

/// An activity as drawn, before its rows are written.
struct ActivityPlan<'c> {
    kind: &'static str,
    /// The group invited; the whole committee when none.
    group: Option<&'c Group>,
    held: NaiveDate,
    topic: &'static str,
    place: String,
    title: String,
    five_ones: Option<&'static str>,
    amount: Option<i64>,
}

/// A proposal step: date, action, from, to, department, note (as typed),
/// detail (what the step sets down: the number, the answer, the rating),
/// (user id, user name).
type ProposalStep = (
    NaiveDate,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<i64>,
    Option<String>,
    Option<String>,
    (Option<i64>, Option<String>),
);

/// One session's numbering of accepted proposals.
struct Session {
    year: i32,
    /// The last year: fewer of its proposals have gone all the way.
    recent: bool,
    /// The last number given.
    number: i64,
    /// The proposals accepted so far, which later ones may be merged into.
    accepted: Vec<i64>,
}

/// A proposal as far as it went: its text, steps and the fields they set.
struct ProposalRecord {
    id: i64,
    lead: i64,
    group: i64,
    /// The lead member's user id.
    user: i64,
    title: String,
    body: String,
    category: &'static str,
    as_group: bool,
    created_on: NaiveDate,
    /// The furthest step reached: 0 draft … 5 rated and closed.
    stage: u8,
    events: Vec<ProposalStep>,
    member_who: (Option<i64>, Option<String>),
    staff_who: (Option<i64>, Option<String>),
    status: &'static str,
    session: Option<i64>,
    number: Option<i64>,
    submitted: Option<NaiveDate>,
    reviewed: Option<NaiveDate>,
    reason: Option<String>,
    merged_into: Option<i64>,
    assigned: Option<NaiveDate>,
    due: Option<NaiveDate>,
    answered: Option<NaiveDate>,
    answer: Option<String>,
    class: Option<&'static str>,
    closed: Option<NaiveDate>,
    /// (department id, "lead" | "co").
    handlers: Vec<(i64, &'static str)>,
    /// (rating, rated on).
    rating: Option<(&'static str, NaiveDate)>,
}

struct Committee {
    id: i64,
    name: String,
    /// The district whose departments receive its cases.
    district: usize,
    staff_user: i64,
    staff_username: String,
    groups: Vec<Group>,
    communities: Vec<String>,
}

struct Group {
    id: i64,
    members: Vec<i64>,
}

struct District {
    departments: Vec<(i64, i64)>,
    org_id: i64,
    place: &'static str,
}

/// What [`Gen::tree`] gathers on its way down, for the accounts made after
/// the whole tree (members' user ids follow the staff's).
#[derive(Default)]
struct TreeParts {
    committees: Vec<Committee>,
    districts: Vec<District>,
    /// (organisation id, organisation name, user name) of each staff account.
    staff: Vec<(i64, String, String)>,
    /// (member id, name, committee id, committee name).
    member_rows: Vec<(i64, String, i64, String)>,
    /// The first staff account of each level, for the start-up message.
    first_staff: Vec<usize>,
}

impl TreeParts {
    /// A few logins per level, for the start-up message and the load test.
    fn logins(&self, logins: &mut Vec<(&'static str, String, String)>) {
        for &i in &self.first_staff {
            let (_, org_name, username) = &self.staff[i];
            logins.push(("staff", username.clone(), org_name.clone()));
        }
        if let Some(c) = self.committees.first() {
            logins.push(("staff", c.staff_username.clone(), c.name.clone()));
        }
        for (member_id, _, _, committee_name) in self.member_rows.iter().take(2) {
            logins.push(("member", format!("m{member_id}"), committee_name.clone()));
        }
        if let Some(district) = self.districts.first() {
            for (dept, _) in district.departments.iter().take(2) {
                logins.push(("department", format!("dept-{dept}"), String::new()));
            }
        }
    }
}

/// A district as its subdistrict committees need it.
struct DistrictPlace {
    id: i64,
    path: String,
    /// Its index in [`TreeParts::districts`].
    index: usize,
    /// The place name its members' workplaces carry.
    place: &'static str,
    /// The region code of its members' ID numbers.
    region: String,
    /// The district staff account's name, the prefix of its committees' accounts.
    staff_username: String,
}

/// Hands out ids per table, from 1.
#[derive(Default)]
struct Ids {
    next: std::collections::HashMap<&'static str, i64>,
}

impl Ids {
    fn take(&mut self, table: &'static str) -> i64 {
        let n = self.next.entry(table).or_insert(0);
        *n += 1;
        *n
    }
}

struct Gen<'a> {
    rng: StdRng,
    ids: Ids,
    out: Loader,
    cipher: &'a FieldCipher,
    sizes: Sizes,
    /// Every member's user id (same order as member ids: user = member + offset).
    member_user_offset: i64,
    department_users: std::collections::HashMap<i64, (i64, String)>,
    ids_seen: HashSet<String>,
    /// Cases still with a department at the end of the history, for the
    /// reminders: (case, title, due date, department, committee's staff user).
    open_cases: Vec<(i64, String, NaiveDate, i64, i64)>,
    created: DateTime<Utc>,
    /// Proposal texts with the word frequencies of real ones.
    corpus: super::corpus::Corpus,
    seed: u64,
}

async fn has_data(db: &Db) -> Result<Option<String>, sqlx::Error> {
    for table in ["orgs", "users", "members"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = crate::on_db!(db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await)?;
        if n > 0 {
            return Ok(Some(format!("{table}: {n}")));
        }
    }
    Ok(None)
}

/// Generate the tree at `scale` from `seed` into an empty database.
pub async fn load(
    db: &Db,
    cipher: &FieldCipher,
    scale: Scale,
    seed: u64,
) -> Result<Report, ScaleError> {
    if let Some(what) = has_data(db).await? {
        return Err(ScaleError::NotEmpty(what));
    }
    let started = Instant::now();
    let password_hash = crate::security::hash_password(PASSWORD)?;
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        ids: Ids::default(),
        out: Loader::new(db, TABLES),
        cipher,
        sizes: scale.sizes(),
        member_user_offset: 0,
        department_users: Default::default(),
        ids_seen: HashSet::new(),
        open_cases: Vec::new(),
        created: at(last_day(), 0),
        corpus: super::corpus::Corpus::new(),
        seed,
    };
    let mut logins = Vec::new();
    let (committees, districts) = g.tree(&password_hash, &mut logins).await?;
    for committee in &committees {
        g.reception(committee, &districts).await?;
        g.activities(committee).await?;
        g.proposals(committee, &districts).await?;
    }
    g.year_at_a_glance(&committees, &districts).await?;
    let mut tables = g.out.finish().await?;
    // Groups were written as a second batch of organisations: one line for orgs.
    let groups = tables.remove(GROUPS).1;
    tables[ORGS].1 += groups;
    let detail = format!(
        "scale={}; seed={seed}; rows={}",
        scale.as_str(),
        tables.iter().map(|(_, n)| n).sum::<u64>()
    );
    let mut tx = db.begin().await?;
    let mut entry = crate::services::users::cli_audit("demo_scale", "database", 0, detail);
    entry.object_id = None;
    audit::insert(&mut tx, &entry).await?;
    tx.commit().await?;
    crate::storage::bulk::analyze(db).await?;
    Ok(Report {
        scale,
        seed,
        tables,
        elapsed: started.elapsed(),
        logins,
    })
}

impl Gen<'_> {
    /// A field sealed with the demo's cipher, as the services seal it.
    fn sealed(&self, plain: &str) -> Result<String, sqlx::Error> {
        self.cipher
            .encrypt(plain)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))
    }

    async fn row(&mut self, table: usize, row: Vec<Val>) -> Result<(), sqlx::Error> {
        self.out.push(table, row).await
    }

    async fn org(
        &mut self,
        table: usize,
        parent: Option<(i64, &str)>,
        kind: &str,
        name: &str,
        community: Option<i64>,
    ) -> Result<(i64, String), sqlx::Error> {
        let id = self.ids.take("orgs");
        let path = crate::domain::orgs::child_path(parent.map(|p| p.1), id);
        let created = self.created;
        self.row(
            table,
            vec![
                id.into(),
                parent.map(|p| p.0).into(),
                kind.into(),
                name.into(),
                path.clone().into(),
                community.into(),
                created.into(),
                created.into(),
                1i64.into(),
            ],
        )
        .await?;
        Ok((id, path))
    }

    async fn department(&mut self, org_id: i64, name: &str) -> Result<i64, sqlx::Error> {
        let id = self.ids.take("departments");
        let contact = format!("{} {}", person_name(&mut self.rng), phone(&mut self.rng));
        let created = self.created;
        self.row(
            DEPARTMENTS,
            vec![
                id.into(),
                org_id.into(),
                name.into(),
                contact.into(),
                created.into(),
                created.into(),
                1i64.into(),
            ],
        )
        .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    async fn user(
        &mut self,
        username: &str,
        display_name: &str,
        hash: &str,
        role: &str,
        org_id: i64,
        member_id: Option<i64>,
        department_id: Option<i64>,
    ) -> Result<i64, sqlx::Error> {
        let id = self.ids.take("users");
        let created = self.created;
        self.row(
            USERS,
            vec![
                id.into(),
                username.into(),
                display_name.into(),
                hash.into(),
                role.into(),
                org_id.into(),
                member_id.into(),
                department_id.into(),
                "zh-CN".into(),
                false.into(),
                false.into(),
                created.into(),
                created.into(),
                created.into(),
                1i64.into(),
            ],
        )
        .await?;
        Ok(id)
    }

    async fn timeline(
        &mut self,
        member_id: i64,
        on: NaiveDate,
        kind: &str,
        title: &str,
        object: (&str, i64),
        by: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        let id = self.ids.take("timeline_entries");
        self.row(
            TIMELINE,
            vec![
                id.into(),
                member_id.into(),
                on.into(),
                kind.into(),
                title.into(),
                object.0.into(),
                object.1.into(),
                at(on, 60).into(),
                by.into(),
            ],
        )
        .await
    }

    /// A valid, unique ID number for a birth date in the region, and the matching gender.
    fn id_number(&mut self, region: &str, male: bool) -> (ResidentId, &'static str) {
        loop {
            let birth = NaiveDate::from_ymd_opt(1955, 1, 1).unwrap_or_default()
                + chrono::Duration::days(self.rng.gen_range(0..11_000));
            let mut seq: u32 = self.rng.gen_range(0..500) * 2;
            if male {
                seq += 1;
            }
            let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
            let Some(full) = with_check_char(&first17) else {
                continue;
            };
            if !self.ids_seen.insert(full.clone()) {
                continue;
            }
            if let Ok(id) = ResidentId::parse_at("id_number", &full, last_day()) {
                return (id, if male { "male" } else { "female" });
            }
        }
    }

    async fn member(
        &mut self,
        committee: i64,
        group: i64,
        region: &str,
        place: &str,
    ) -> Result<(i64, String), sqlx::Error> {
        let id = self.ids.take("members");
        let name = person_name(&mut self.rng);
        let male = self.rng.gen_bool(0.6);
        let (resident, gender) = self.id_number(region, male);
        let mobile = MobilePhone::parse("phone", &phone(&mut self.rng))
            .map_err(|_| sqlx::Error::Protocol("generated phone invalid".into()))?;
        let ethnicity = *weighted(&mut self.rng, ETHNIC);
        let party = *weighted(&mut self.rng, PARTIES);
        let sector = pick(&mut self.rng, SECTORS);
        let workplace = format!("{place}{}", pick(&mut self.rng, WORKPLACES));
        let title = pick(&mut self.rng, TITLES);
        let joined = NaiveDate::from_ymd_opt(self.sizes.first_year.min(2021), 1, 8)
            .unwrap_or_default()
            + chrono::Duration::days(self.rng.gen_range(0..20));
        let created = at(joined, 0);
        let status = if self.rng.gen_bool(0.97) {
            "active"
        } else {
            "ended"
        };
        self.row(
            MEMBERS,
            vec![
                id.into(),
                committee.into(),
                group.into(),
                name.clone().into(),
                gender.into(),
                ethnicity.into(),
                party.into(),
                sector.into(),
                workplace.into(),
                title.into(),
                self.sealed(mobile.as_str())?.into(),
                mobile.masked().into(),
                self.sealed(resident.as_str())?.into(),
                self.cipher.lookup_hash(resident.as_str()).into(),
                resident.masked().into(),
                resident.birth_date().into(),
                joined.into(),
                8i64.into(),
                status.into(),
                created.into(),
                created.into(),
                1i64.into(),
                crate::domain::text::name_sort_key(&name).into(),
            ],
        )
        .await?;
        self.timeline(id, joined, "registered", &name, ("member", id), None)
            .await?;
        Ok((id, name))
    }

    /// Organisations, communities, departments, members and accounts.
    async fn tree(
        &mut self,
        hash: &str,
        logins: &mut Vec<(&'static str, String, String)>,
    ) -> Result<(Vec<Committee>, Vec<District>), sqlx::Error> {
        let s = self.sizes;
        let mut t = TreeParts::default();
        let province = if s.root == "province" {
            Some(self.province(&mut t).await?)
        } else {
            None
        };
        for c in 0..s.cities {
            let city = if s.root == "district" {
                None
            } else {
                Some(self.city(&mut t, province.as_ref(), c).await?)
            };
            for d in 0..s.districts {
                self.district(&mut t, city.as_ref(), c, d).await?;
            }
        }
        self.accounts(&mut t, hash).await?;
        t.logins(logins);
        Ok((t.committees, t.districts))
    }

    /// The province's organisation and departments; its (id, path).
    async fn province(&mut self, t: &mut TreeParts) -> Result<(i64, String), sqlx::Error> {
        let (id, path) = self.org(ORGS, None, "province", "中原省政协", None).await?;
        for name in PROVINCE_DEPARTMENTS
            .iter()
            .take(self.sizes.province_departments)
        {
            self.department(id, name).await?;
        }
        t.staff
            .push((id, "中原省政协".to_string(), "staff-province".to_string()));
        t.first_staff.push(t.staff.len() - 1);
        Ok((id, path))
    }

    /// City `c`'s organisation and departments; its (id, path).
    async fn city(
        &mut self,
        t: &mut TreeParts,
        province: Option<&(i64, String)>,
        c: usize,
    ) -> Result<(i64, String), sqlx::Error> {
        let city_place = PLACES[c % PLACES.len()];
        let name = format!("{city_place}市政协");
        let (id, path) = self
            .org(
                ORGS,
                province.map(|(i, p)| (*i, p.as_str())),
                "city",
                &name,
                None,
            )
            .await?;
        for dept in CITY_DEPARTMENTS.iter().take(self.sizes.city_departments) {
            self.department(id, &format!("{city_place}{dept}")).await?;
        }
        t.staff.push((id, name, format!("staff-c{:02}", c + 1)));
        if c == 0 {
            t.first_staff.push(t.staff.len() - 1);
        }
        Ok((id, path))
    }

    /// District `d` of city `c`: its organisation, departments and subdistrict committees.
    async fn district(
        &mut self,
        t: &mut TreeParts,
        city: Option<&(i64, String)>,
        c: usize,
        d: usize,
    ) -> Result<(), sqlx::Error> {
        let s = self.sizes;
        let place = PLACES[(c * s.districts + d + 7) % PLACES.len()];
        let name = format!("{place}区政协");
        let (district_id, district_path) = self
            .org(
                ORGS,
                city.map(|(i, p)| (*i, p.as_str())),
                "district",
                &name,
                None,
            )
            .await?;
        let mut departments = Vec::new();
        for k in 0..s.district_departments {
            let base = DISTRICT_DEPARTMENTS[k % DISTRICT_DEPARTMENTS.len()];
            let dept_name = format!("{place}{base}");
            let dept = self.department(district_id, &dept_name).await?;
            departments.push((dept, district_id));
        }
        let district_index = t.districts.len();
        t.districts.push(District {
            departments,
            org_id: district_id,
            place,
        });
        let username = format!("staff-c{:02}-d{:02}", c + 1, d + 1);
        t.staff.push((district_id, name, username.clone()));
        if c == 0 && d == 0 {
            t.first_staff.push(t.staff.len() - 1);
        }
        let district = DistrictPlace {
            id: district_id,
            path: district_path,
            index: district_index,
            place,
            // Region code of the ID numbers: 41, city, district.
            region: format!("41{:02}{:02}", (c % 90) + 1, (d % 80) + 2),
            staff_username: username,
        };
        for k in 0..s.subdistricts {
            self.committee(t, &district, k).await?;
        }
        Ok(())
    }

    /// Subdistrict committee `k` of a district, with its groups.
    async fn committee(
        &mut self,
        t: &mut TreeParts,
        district: &DistrictPlace,
        k: usize,
    ) -> Result<(), sqlx::Error> {
        let road = ROADS[(district.index * 3 + k) % ROADS.len()];
        let committee_name = if k < ROADS.len() {
            format!("{road}街道政协工委")
        } else {
            format!("{road}第{}街道政协工委", k + 1)
        };
        let (committee_id, committee_path) = self
            .org(
                ORGS,
                Some((district.id, &district.path)),
                "subdistrict",
                &committee_name,
                None,
            )
            .await?;
        let username = format!("{}-s{:02}", district.staff_username, k + 1);
        t.staff
            .push((committee_id, committee_name.clone(), username.clone()));
        let mut groups = Vec::new();
        let mut communities = Vec::new();
        let committee = (
            committee_id,
            committee_path.as_str(),
            committee_name.as_str(),
        );
        for gi in 0..self.sizes.groups {
            let (group, community_name) = self.group(t, district, committee, gi).await?;
            groups.push(group);
            communities.push(community_name);
        }
        t.committees.push(Committee {
            id: committee_id,
            name: committee_name,
            district: district.index,
            staff_user: 0,
            staff_username: username,
            groups,
            communities,
        });
        Ok(())
    }

    /// Group `gi` of a committee (id, path, name): its community, the group
    /// and its members. Returns the group and the community's name.
    async fn group(
        &mut self,
        t: &mut TreeParts,
        district: &DistrictPlace,
        (committee_id, committee_path, committee_name): (i64, &str, &str),
        gi: usize,
    ) -> Result<(Group, String), sqlx::Error> {
        let community_name = format!(
            "{}{}社区",
            pick(&mut self.rng, PLACES),
            ["东", "西", "南", "北", "中", "新"][gi % 6]
        );
        let community_name = format!("{community_name}{}", gi + 1);
        let community = self.ids.take("communities");
        let created = self.created;
        self.row(
            COMMUNITIES,
            vec![
                community.into(),
                committee_id.into(),
                community_name.clone().into(),
                created.into(),
                created.into(),
                1i64.into(),
            ],
        )
        .await?;
        let (group_id, _) = self
            .org(
                GROUPS,
                Some((committee_id, committee_path)),
                "group",
                &format!("第{}委员小组", gi + 1),
                Some(community),
            )
            .await?;
        let mut members = Vec::new();
        for _ in 0..self.sizes.members_per_group {
            let (m, member_name) = self
                .member(committee_id, group_id, &district.region, district.place)
                .await?;
            members.push(m);
            t.member_rows
                .push((m, member_name, committee_id, committee_name.to_string()));
        }
        Ok((
            Group {
                id: group_id,
                members,
            },
            community_name,
        ))
    }

    /// Accounts: staff of every committee (any level), every member, every department.
    async fn accounts(&mut self, t: &mut TreeParts, hash: &str) -> Result<(), sqlx::Error> {
        let mut staff_ids = std::collections::HashMap::new();
        for (org_id, org_name, username) in &t.staff {
            let display = format!("{org_name}工作人员");
            let id = self
                .user(username, &display, hash, "staff", *org_id, None, None)
                .await?;
            staff_ids.insert(username.clone(), id);
        }
        for c in &mut t.committees {
            c.staff_user = staff_ids.get(&c.staff_username).copied().unwrap_or(0);
        }
        let first_member_user = self.ids.next.get("users").copied().unwrap_or(0) + 1;
        self.member_user_offset = first_member_user - 1;
        for (member_id, name, committee_id, _) in &t.member_rows {
            let username = format!("m{member_id}");
            self.user(
                &username,
                name,
                hash,
                "member",
                *committee_id,
                Some(*member_id),
                None,
            )
            .await?;
        }
        for district in &t.districts {
            for (dept, org_id) in &district.departments {
                let username = format!("dept-{dept}");
                let id = self
                    .user(
                        &username,
                        &format!("承办单位经办人{dept}"),
                        hash,
                        "department",
                        *org_id,
                        None,
                        Some(*dept),
                    )
                    .await?;
                self.department_users.insert(*dept, (id, username));
            }
        }
        Ok(())
    }

    fn member_user(&self, member_id: i64) -> i64 {
        member_id + self.member_user_offset
    }

    fn months(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut m = NaiveDate::from_ymd_opt(self.sizes.first_year, 1, 1).unwrap_or_default();
        while m <= last_day() {
            out.push(m);
            m = m + Months::new(1);
        }
        out
    }

    /// Reception days on the 15th (next weekday), the duty group's members
    /// on duty, visits, and the cases they raise with every step.
    async fn reception(
        &mut self,
        c: &Committee,
        districts: &[District],
    ) -> Result<(), sqlx::Error> {
        let departments = &districts[c.district].departments;
        for (i, month) in self.months().into_iter().enumerate() {
            let group = &c.groups[(i + c.id as usize) % c.groups.len()];
            let (day, held) = self.reception_day(c, group, month).await?;
            for _ in 0..self.rng.gen_range(1..=3) {
                self.visit(c, departments, group, day, held).await?;
            }
            // Citizens writing in on the public page.
            for _ in 0..self.rng.gen_range(0..=1) {
                let received = days(month, self.rng.gen_range(0..28));
                let community = c.communities[0].clone();
                let subject = format!(
                    "{}{}",
                    pick(&mut self.rng, CASE_PLACES),
                    pick(&mut self.rng, CASE_PROBLEMS)
                );
                self.case(
                    c,
                    departments,
                    received,
                    None,
                    None,
                    &community,
                    &subject,
                    None,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The month's reception day with `group` on duty; its id and date.
    async fn reception_day(
        &mut self,
        c: &Committee,
        group: &Group,
        month: NaiveDate,
    ) -> Result<(i64, NaiveDate), sqlx::Error> {
        let nominal = month.with_day(15).unwrap_or(month);
        let held = weekday_from(nominal);
        let day = self.ids.take("reception_days");
        let note = (held != nominal).then(|| "遇周末顺延".to_string());
        self.row(
            RECEPTION_DAYS,
            vec![
                day.into(),
                c.id.into(),
                nominal.into(),
                held.into(),
                group.id.into(),
                note.into(),
                at(held, -60 * 24 * 5).into(),
                c.staff_user.into(),
                at(held, 0).into(),
                1i64.into(),
            ],
        )
        .await?;
        let title = format!("{held} {}", c.name);
        for &member in &group.members {
            let duty = self.ids.take("reception_duty");
            self.row(RECEPTION_DUTY, vec![duty.into(), day.into(), member.into()])
                .await?;
            self.timeline(
                member,
                held,
                "reception_duty",
                &title,
                ("reception_day", day),
                Some(c.staff_user),
            )
            .await?;
        }
        Ok((day, held))
    }

    /// A visit on reception day `day`: answered on the spot, or a case.
    async fn visit(
        &mut self,
        c: &Committee,
        departments: &[(i64, i64)],
        group: &Group,
        day: i64,
        held: NaiveDate,
    ) -> Result<(), sqlx::Error> {
        let visit = self.ids.take("visits");
        let community = pick(
            &mut self.rng,
            &c.communities.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .to_string();
        let subject = format!(
            "{community}{}{}",
            pick(&mut self.rng, CASE_PLACES),
            pick(&mut self.rng, CASE_PROBLEMS)
        );
        let received_by = *group.members.choose(&mut self.rng).unwrap_or(&0);
        let named = self.rng.gen_bool(0.4);
        let (name, mobile) = if named {
            let p = MobilePhone::parse("phone", &phone(&mut self.rng))
                .map_err(|_| sqlx::Error::Protocol("generated phone invalid".into()))?;
            (Some(person_name(&mut self.rng)), Some(p))
        } else {
            (None, None)
        };
        let phone_enc = mobile
            .as_ref()
            .map(|p| self.sealed(p.as_str()))
            .transpose()?;
        let phone_masked = mobile.as_ref().map(MobilePhone::masked);
        let is_case = self.rng.gen_bool(0.6);
        let people = self.rng.gen_range(1..=4i64);
        let answer = (!is_case).then(|| pick(&mut self.rng, ANSWERS).to_string());
        self.row(
            VISITS,
            vec![
                visit.into(),
                day.into(),
                people.into(),
                community.clone().into(),
                subject.clone().into(),
                name.clone().into(),
                phone_enc.into(),
                phone_masked.into(),
                if is_case { "case" } else { "answered" }.into(),
                answer.into(),
                received_by.into(),
                at(held, 30).into(),
                c.staff_user.into(),
            ],
        )
        .await?;
        if is_case {
            let contact = name.map(|n| (n, mobile));
            self.case(
                c,
                departments,
                held,
                Some(visit),
                Some(received_by),
                &community,
                &subject,
                contact,
            )
            .await?;
        }
        Ok(())
    }

    /// One case and its steps, as far as the five years reach.
    #[allow(clippy::too_many_arguments)]
    async fn case(
        &mut self,
        c: &Committee,
        departments: &[(i64, i64)],
        received: NaiveDate,
        visit: Option<i64>,
        raised_by: Option<i64>,
        community: &str,
        subject: &str,
        contact: Option<(String, Option<MobilePhone>)>,
    ) -> Result<(), sqlx::Error> {
        let id = self.ids.take("cases");
        let description = format!("{subject}，{}", pick(&mut self.rng, CASE_ASKS));
        let h = self.case_history(departments, received);
        let (contact_name, contact_enc, contact_masked, tracking) = match (&contact, visit) {
            (Some((name, mobile)), _) => (
                Some(name.clone()),
                mobile
                    .as_ref()
                    .map(|p| self.sealed(p.as_str()))
                    .transpose()?,
                mobile.as_ref().map(MobilePhone::masked),
                None,
            ),
            (None, None) => {
                let code: String = (0..16)
                    .map(|_| {
                        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
                        ALPHABET[self.rng.gen_range(0..ALPHABET.len())] as char
                    })
                    .collect();
                (None, None, None, Some(crate::security::token_hash(&code)))
            }
            (None, Some(_)) => (None, None, None, None),
        };
        let last = h.events.last().map(|e| e.0).unwrap_or(received);
        self.row(
            CASES,
            vec![
                id.into(),
                c.id.into(),
                if visit.is_some() { "visit" } else { "online" }.into(),
                visit.into(),
                raised_by.into(),
                community.into(),
                subject.into(),
                description.into(),
                contact_name.into(),
                contact_enc.into(),
                contact_masked.into(),
                received.into(),
                h.status.into(),
                h.department.into(),
                h.forwarded.into(),
                h.due.into(),
                h.resolved.into(),
                h.reply.into(),
                h.satisfaction.into(),
                h.escalations.into(),
                h.last_escalated.into(),
                tracking.into(),
                at(received, 45).into(),
                at(last, 120).into(),
                (h.events.len() as i64).into(),
            ],
        )
        .await?;
        if let (Some(due), Some(dept), "forwarded" | "in_progress") =
            (h.due, h.department, h.status)
        {
            self.open_cases
                .push((id, subject.to_string(), due, dept, c.staff_user));
        }
        self.case_events(c, id, visit, h.events).await?;
        if let Some(member) = raised_by {
            self.timeline(
                member,
                received,
                "case_raised",
                subject,
                ("case", id),
                Some(c.staff_user),
            )
            .await?;
        }
        Ok(())
    }

    /// How far a case received on `received` went: most older cases are
    /// closed. Forwarded to a department, which accepts it.
    fn case_history(&mut self, departments: &[(i64, i64)], received: NaiveDate) -> CaseHistory {
        let end = last_day();
        let mut h = CaseHistory {
            events: vec![(
                received,
                "register",
                None,
                "registered",
                None,
                None,
                None,
                false,
            )],
            status: "registered",
            department: None,
            forwarded: None,
            due: None,
            resolved: None,
            reply: None,
            satisfaction: None,
            escalations: 0,
            last_escalated: None,
        };
        let forward_on = weekday_from(days(received, self.rng.gen_range(0..3)));
        // The 97 % is drawn only for a forward date within the five years:
        // the order of the draws is the data.
        if forward_on > end || !self.rng.gen_bool(0.97) {
            return h;
        }
        let (dept, _) = *departments.choose(&mut self.rng).unwrap_or(&(0, 0));
        let due_on = add_working_days(forward_on, 15);
        h.department = Some(dept);
        h.forwarded = Some(forward_on);
        h.due = Some(due_on);
        h.status = "forwarded";
        h.events.push((
            forward_on,
            "forward",
            Some("registered"),
            "forwarded",
            Some(dept),
            None,
            None,
            false,
        ));
        let accept_on = days(forward_on, self.rng.gen_range(0..3));
        if accept_on > end {
            return h;
        }
        h.status = "in_progress";
        h.events.push((
            accept_on,
            "accept",
            Some("forwarded"),
            "in_progress",
            Some(dept),
            None,
            None,
            true,
        ));
        self.case_resolution(&mut h, dept, accept_on, due_on);
        h
    }

    /// The department resolves an accepted case, late in one case of ten
    /// (then the committee escalates it), and the visitor is followed up.
    fn case_resolution(
        &mut self,
        h: &mut CaseHistory,
        dept: i64,
        accept_on: NaiveDate,
        due_on: NaiveDate,
    ) {
        let end = last_day();
        let late = self.rng.gen_bool(0.1);
        let resolve_on = if late {
            days(due_on, self.rng.gen_range(1..20))
        } else {
            days(accept_on, self.rng.gen_range(2..20)).min(due_on)
        };
        if late && resolve_on > days(due_on, 3) && days(due_on, 3) <= end {
            // Overdue: the committee escalates it (督办).
            let on = days(due_on, 3);
            h.escalations = 1;
            h.last_escalated = Some(on);
            h.events.push((
                on,
                "escalate",
                Some("in_progress"),
                "in_progress",
                Some(dept),
                Some("逾期督办".into()),
                None,
                false,
            ));
        }
        if resolve_on > end {
            return;
        }
        let text = pick(&mut self.rng, REPLIES).to_string();
        h.status = "resolved";
        h.resolved = Some(resolve_on);
        h.reply = Some(text.clone());
        h.events.push((
            resolve_on,
            "resolve",
            Some("in_progress"),
            "resolved",
            Some(dept),
            None,
            Some(text),
            true,
        ));
        self.case_follow_up(h, dept, resolve_on);
    }

    /// The follow-up of a resolved case: reopened when the visitor is
    /// unsatisfied, else closed.
    fn case_follow_up(&mut self, h: &mut CaseHistory, dept: i64, resolve_on: NaiveDate) {
        let end = last_day();
        let follow_on = days(resolve_on, self.rng.gen_range(1..6));
        if follow_on > end {
            return;
        }
        let s = *weighted(
            &mut self.rng,
            &[
                ("satisfied", 70),
                ("basically_satisfied", 22),
                ("unsatisfied", 8),
            ],
        );
        h.satisfaction = Some(s.to_string());
        h.events.push((
            follow_on,
            "follow_up",
            Some("resolved"),
            "followed_up",
            Some(dept),
            None,
            Some(s.to_string()),
            false,
        ));
        if s == "unsatisfied" {
            h.status = "in_progress";
            h.resolved = None;
            h.due = Some(add_working_days(follow_on, 15));
            h.events.push((
                follow_on,
                "reopen",
                Some("followed_up"),
                "in_progress",
                Some(dept),
                None,
                None,
                false,
            ));
        } else {
            h.status = "followed_up";
            let close_on = days(follow_on, self.rng.gen_range(0..4));
            if close_on <= end {
                h.status = "closed";
                h.events.push((
                    close_on,
                    "close",
                    Some("followed_up"),
                    "closed",
                    Some(dept),
                    None,
                    None,
                    false,
                ));
            }
        }
    }

    /// The case's event rows, each by the committee's staff or the
    /// department's account (an online case registers itself).
    async fn case_events(
        &mut self,
        c: &Committee,
        id: i64,
        visit: Option<i64>,
        events: Vec<CaseStep>,
    ) -> Result<(), sqlx::Error> {
        let staff = (Some(c.staff_user), Some(c.staff_username.clone()));
        for (k, (on, action, from, to, dept, note, detail, by_department)) in
            events.into_iter().enumerate()
        {
            let (user_id, username) = if by_department {
                match dept.and_then(|d| self.department_users.get(&d)) {
                    Some((u, name)) => (Some(*u), Some(name.clone())),
                    None => (None, None),
                }
            } else if visit.is_none() && action == "register" {
                (None, None)
            } else {
                staff.clone()
            };
            let event = self.ids.take("case_events");
            self.row(
                CASE_EVENTS,
                vec![
                    event.into(),
                    id.into(),
                    at(on, 50 + k as i64).into(),
                    on.into(),
                    action.into(),
                    from.into(),
                    to.into(),
                    dept.into(),
                    note.into(),
                    detail.into(),
                    user_id.into(),
                    username.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// About one activity a month: study sessions and meetings for the
    /// whole committee, visits and campaigns for a group; invitations,
    /// replies and attendance; the duty-file entries of those present.
    async fn activities(&mut self, c: &Committee) -> Result<(), sqlx::Error> {
        let everyone: Vec<i64> = c
            .groups
            .iter()
            .flat_map(|g| g.members.iter().copied())
            .collect();
        for month in self.months() {
            let n = *weighted(&mut self.rng, &[(0usize, 25), (1, 50), (2, 25)]);
            for _ in 0..n {
                self.activity(c, &everyone, month).await?;
            }
            // The year's awards, given in December.
            if month.month() == 12 {
                self.award(c, &everyone, month).await?;
            }
        }
        Ok(())
    }

    /// One activity in `month`: the activity, its invitations, the duty-file
    /// entries of those present and, after research, the report.
    async fn activity(
        &mut self,
        c: &Committee,
        everyone: &[i64],
        month: NaiveDate,
    ) -> Result<(), sqlx::Error> {
        let a = self.plan_activity(c, month);
        let id = self.ids.take("activities");
        self.row(
            ACTIVITIES,
            vec![
                id.into(),
                c.id.into(),
                a.group.map(|g| g.id).into(),
                a.kind.into(),
                a.title.clone().into(),
                a.held.into(),
                a.place.into(),
                c.name.clone().into(),
                format!("{}。组织委员围绕{}开展活动。", a.title, a.topic).into(),
                a.amount.into(),
                a.five_ones.into(),
                "approved".into(),
                Val::Null,
                Val::Null,
                c.staff_user.into(),
                at(days(a.held, -7), 0).into(),
                at(a.held, 480).into(),
                2i64.into(),
            ],
        )
        .await?;
        let invited: &[i64] = match a.group {
            Some(g) => &g.members,
            None => everyone,
        };
        let present = self.invitations(id, invited, a.held).await?;
        for &member in &present {
            let by = Some(c.staff_user);
            let activity = ("activity", id);
            self.timeline(member, a.held, "attendance", &a.title, activity, by)
                .await?;
            if a.five_ones.is_some() {
                self.timeline(member, a.held, "five_ones", &a.title, activity, by)
                    .await?;
            }
        }
        if a.kind == "research" {
            self.research_report(c, id, a.topic, a.held, &present)
                .await?;
        }
        Ok(())
    }

    /// What an activity is: its kind, who is invited, when, where, and its title.
    fn plan_activity<'c>(&mut self, c: &'c Committee, month: NaiveDate) -> ActivityPlan<'c> {
        let kind = *weighted(&mut self.rng, ACTIVITY_KINDS);
        let whole = matches!(
            kind,
            "study" | "district_meeting" | "party_hearing" | "research"
        );
        let group = (!whole).then(|| &c.groups[self.rng.gen_range(0..c.groups.len())]);
        let held = weekday_from(days(month, self.rng.gen_range(0..27)));
        let topic = pick(&mut self.rng, TOPICS);
        let place = format!(
            "{}{}",
            pick(&mut self.rng, ROADS),
            pick(&mut self.rng, CASE_PLACES)
        );
        let (title, five_ones, amount): (String, Option<&str>, Option<i64>) = match kind {
            "study" => (
                format!("{}季度委员集中学习：{topic}", (held.month() - 1) / 3 + 1),
                None,
                None,
            ),
            "district_meeting" => (format!("列席区政协专题协商会：{topic}"), None, None),
            "research" => (format!("{topic}专题调研"), Some("suggestion"), None),
            "inspection" => (format!("视察{topic}推进情况"), None, None),
            "liaison" => ("委员联谊活动".to_string(), None, None),
            "charity" => (
                format!("走访慰问{}困难群众", pick(&mut self.rng, CASE_PLACES)),
                Some("poverty_aid"),
                Some(self.rng.gen_range(10..60) * 100),
            ),
            "campaign" => ("参与文明城市创建志愿服务".to_string(), Some("deed"), None),
            _ => ("街道党工委听取政协工作汇报".to_string(), None, None),
        };
        ActivityPlan {
            kind,
            group,
            held,
            topic,
            place,
            title,
            five_ones,
            amount,
        }
    }

    /// The invitations of activity `id` with each member's reply and
    /// attendance; returns those present.
    async fn invitations(
        &mut self,
        id: i64,
        invited: &[i64],
        held: NaiveDate,
    ) -> Result<Vec<i64>, sqlx::Error> {
        let mut present = Vec::new();
        for &member in invited {
            let r = self.rng.gen_range(0..100);
            let (reply, reason, attendance, attendance_reason) = if r < 85 {
                let came = self.rng.gen_bool(0.96);
                (
                    "confirmed",
                    None,
                    if came { "present" } else { "absent" },
                    None,
                )
            } else if r < 95 {
                let why = pick(&mut self.rng, EXCUSES).to_string();
                ("excused", Some(why.clone()), "excused", Some(why))
            } else {
                ("pending", None, "absent", None)
            };
            if attendance == "present" {
                present.push(member);
            }
            let inv = self.ids.take("activity_invitations");
            self.row(
                INVITATIONS,
                vec![
                    inv.into(),
                    id.into(),
                    member.into(),
                    reply.into(),
                    reason.into(),
                    attendance.into(),
                    attendance_reason.into(),
                    at(days(held, -7), 5).into(),
                    at(held, 480).into(),
                    3i64.into(),
                ],
            )
            .await?;
        }
        Ok(present)
    }

    /// The report of research activity `id`, submitted 20 days after it
    /// (when that is within the five years), in the duty files of those present.
    async fn research_report(
        &mut self,
        c: &Committee,
        id: i64,
        topic: &str,
        held: NaiveDate,
        present: &[i64],
    ) -> Result<(), sqlx::Error> {
        let submitted = days(held, 20);
        if submitted > last_day() {
            return Ok(());
        }
        let report_title = format!("关于{topic}的调研报告");
        let report = self.ids.take("research_reports");
        let body = proposal_body(&mut self.rng, &report_title);
        self.row(
            REPORTS,
            vec![
                report.into(),
                id.into(),
                report_title.clone().into(),
                body.into(),
                "区政协".into(),
                submitted.into(),
                at(submitted, 0).into(),
                at(submitted, 0).into(),
                1i64.into(),
            ],
        )
        .await?;
        for &member in present {
            self.timeline(
                member,
                submitted,
                "research_report",
                &report_title,
                ("activity", id),
                Some(c.staff_user),
            )
            .await?;
        }
        Ok(())
    }

    /// The year's award to one member, given on 20 December.
    async fn award(
        &mut self,
        c: &Committee,
        everyone: &[i64],
        month: NaiveDate,
    ) -> Result<(), sqlx::Error> {
        let member = *everyone.choose(&mut self.rng).unwrap_or(&0);
        let category = *weighted(
            &mut self.rng,
            &[
                ("new_suggestion", 3),
                ("new_investment", 2),
                ("new_contribution", 2),
                ("other", 1),
            ],
        );
        let title = format!("{}年度“三新奖”", month.year());
        let award = self.ids.take("awards");
        let on = NaiveDate::from_ymd_opt(month.year(), 12, 20).unwrap_or(month);
        self.row(
            AWARDS,
            vec![
                award.into(),
                member.into(),
                i64::from(month.year()).into(),
                category.into(),
                title.clone().into(),
                format!("{}年度履职成果突出，经工委研究推荐。", month.year()).into(),
                "awarded".into(),
                c.staff_user.into(),
                at(on, 0).into(),
                at(on, 0).into(),
                1i64.into(),
            ],
        )
        .await?;
        self.timeline(
            member,
            on,
            "award",
            &title,
            ("award", award),
            Some(c.staff_user),
        )
        .await
    }

    /// Each year, about a third of the members lead a proposal; the
    /// committee reviews them, numbers the accepted ones, assigns them to
    /// departments, which answer; the authors rate the answer.
    async fn proposals(
        &mut self,
        c: &Committee,
        districts: &[District],
    ) -> Result<(), sqlx::Error> {
        let departments = &districts[c.district].departments;
        let everyone: Vec<(i64, i64)> = c
            .groups
            .iter()
            .flat_map(|g| g.members.iter().map(move |m| (*m, g.id)))
            .collect();
        for year in self.sizes.first_year..=last_day().year() {
            let mut session = Session {
                year,
                recent: year == last_day().year(),
                number: 0,
                accepted: Vec::new(),
            };
            for &(lead, group) in &everyone {
                if !self.rng.gen_bool(0.35) {
                    continue;
                }
                let mut p = self.draft_proposal(c, &session, lead, group);
                self.review_proposal(&mut p, &mut session, departments);
                self.write_proposal(c, &p, &everyone).await?;
            }
        }
        Ok(())
    }

    /// A member's proposal as drafted: its text, and how far it will go.
    fn draft_proposal(
        &mut self,
        c: &Committee,
        session: &Session,
        lead: i64,
        group: i64,
    ) -> ProposalRecord {
        let id = self.ids.take("proposals");
        // The short generated text is still drawn, so that everything drawn
        // after it stays as it was; the text kept is a realistic one, drawn
        // from its own generator seeded by the proposal.
        let short = proposal_title(&mut self.rng);
        let _ = proposal_body(&mut self.rng, &short);
        let text = self.corpus.proposal(&mut StdRng::seed_from_u64(
            self.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
        let (title, body) = (text.title, text.body);
        let category = pick(&mut self.rng, PROPOSAL_CATEGORIES);
        let as_group = self.rng.gen_bool(0.05);
        let created_on = NaiveDate::from_ymd_opt(session.year, 1, 2).unwrap_or_default()
            + chrono::Duration::days(self.rng.gen_range(0..40));
        let user = self.member_user(lead);
        let username = format!("m{lead}");
        // The furthest step reached.
        let stage = if session.recent {
            *weighted(
                &mut self.rng,
                &[(0u8, 5), (1, 5), (2, 10), (3, 20), (4, 25), (5, 35)],
            )
        } else {
            *weighted(
                &mut self.rng,
                &[(0u8, 2), (1, 1), (2, 2), (3, 5), (4, 10), (5, 80)],
            )
        };
        let member_who = (Some(user), Some(username));
        ProposalRecord {
            id,
            lead,
            group,
            user,
            title,
            body,
            category,
            as_group,
            created_on,
            stage,
            events: vec![(
                created_on,
                "create",
                None,
                "draft",
                None,
                None,
                None,
                member_who.clone(),
            )],
            member_who,
            staff_who: (Some(c.staff_user), Some(c.staff_username.clone())),
            status: "draft",
            session: None,
            number: None,
            submitted: None,
            reviewed: None,
            reason: None,
            merged_into: None,
            assigned: None,
            due: None,
            answered: None,
            answer: None,
            class: None,
            closed: None,
            handlers: Vec::new(),
            rating: None,
        }
    }

    /// Submission and review up to the proposal's stage: not accepted,
    /// merged into an accepted one, or accepted with the session's next
    /// number, then assigned.
    fn review_proposal(
        &mut self,
        p: &mut ProposalRecord,
        session: &mut Session,
        departments: &[(i64, i64)],
    ) {
        if p.stage >= 1 {
            let on = days(p.created_on, self.rng.gen_range(0..10));
            p.submitted = Some(on);
            p.session = Some(i64::from(session.year));
            p.status = "submitted";
            p.events.push((
                on,
                "submit",
                Some("draft"),
                "submitted",
                None,
                None,
                None,
                p.member_who.clone(),
            ));
        }
        if p.stage >= 2 {
            let on = days(
                p.submitted.unwrap_or(p.created_on),
                self.rng.gen_range(5..20),
            );
            p.reviewed = Some(on);
            let outcome = self.rng.gen_range(0..100);
            // The reason typed for a refusal is the step's note; the number
            // given, or the proposal merged into, is what the step sets down.
            let (to, action, note, detail) = if outcome < 10 {
                let why = "属于一般性工作建议，转为意见建议处理".to_string();
                p.reason = Some(why.clone());
                ("not_accepted", "not_accept", Some(why), None)
            } else if outcome < 16 && !session.accepted.is_empty() {
                let target = *session.accepted.choose(&mut self.rng).unwrap_or(&0);
                p.merged_into = Some(target);
                ("merged", "merge", None, Some(format!("→ #{target}")))
            } else {
                session.number += 1;
                p.number = Some(session.number);
                session.accepted.push(p.id);
                let number = Some(format!("#{}", session.number));
                ("accepted", "accept", None, number)
            };
            p.status = to;
            p.events.push((
                on,
                action,
                Some("submitted"),
                to,
                None,
                note,
                detail,
                p.staff_who.clone(),
            ));
        }
        if p.status == "accepted" && p.stage >= 3 {
            self.assign_proposal(p, departments);
        }
    }

    /// An accepted proposal assigned to a lead department (and sometimes a
    /// co-handling one), then answered and rated as far as its stage goes.
    fn assign_proposal(&mut self, p: &mut ProposalRecord, departments: &[(i64, i64)]) {
        let on = days(
            p.reviewed.unwrap_or(p.created_on),
            self.rng.gen_range(3..10),
        );
        let (lead_dept, _) = *departments.choose(&mut self.rng).unwrap_or(&(0, 0));
        p.handlers.push((lead_dept, "lead"));
        if self.rng.gen_bool(0.3) {
            let (co, _) = *departments.choose(&mut self.rng).unwrap_or(&(0, 0));
            if co != lead_dept {
                p.handlers.push((co, "co"));
            }
        }
        p.assigned = Some(on);
        p.due = Some(on + Months::new(3));
        p.status = "assigned";
        p.events.push((
            on,
            "assign",
            Some("accepted"),
            "assigned",
            Some(lead_dept),
            None,
            None,
            p.staff_who.clone(),
        ));
        if p.stage < 4 {
            return;
        }
        let on = days(on, self.rng.gen_range(20..90));
        let dept_who = match self.department_users.get(&lead_dept) {
            Some((u, n)) => (Some(*u), Some(n.clone())),
            None => (None, None),
        };
        let cls = *weighted(&mut self.rng, &[("a", 50), ("b", 35), ("c", 15)]);
        let text = pick(&mut self.rng, REPLIES).to_string();
        p.answered = Some(on);
        p.answer = Some(text.clone());
        p.class = Some(cls);
        p.status = "answered";
        p.events.push((
            on,
            "answer",
            Some("assigned"),
            "answered",
            Some(lead_dept),
            None,
            Some(format!("{}: {text}", cls.to_uppercase())),
            dept_who,
        ));
        if p.stage >= 5 {
            self.rate_proposal(p, on);
        }
    }

    /// The lead member rates the answer of `answered`; the committee closes it.
    fn rate_proposal(&mut self, p: &mut ProposalRecord, answered: NaiveDate) {
        let rated = days(answered, self.rng.gen_range(3..20));
        let r = *weighted(
            &mut self.rng,
            &[("satisfied", 75), ("basically_satisfied", 25)],
        );
        p.rating = Some((r, rated));
        p.events.push((
            rated,
            "rate",
            Some("answered"),
            "answered",
            None,
            None,
            Some(r.to_string()),
            p.member_who.clone(),
        ));
        let close_on = days(rated, self.rng.gen_range(1..10));
        p.closed = Some(close_on);
        p.status = "closed";
        p.events.push((
            close_on,
            "close",
            Some("answered"),
            "closed",
            None,
            None,
            None,
            p.staff_who.clone(),
        ));
    }

    /// The proposal's rows: the proposal, co-signers, handlers, rating,
    /// events, and the submission in the lead member's duty file.
    async fn write_proposal(
        &mut self,
        c: &Committee,
        p: &ProposalRecord,
        everyone: &[(i64, i64)],
    ) -> Result<(), sqlx::Error> {
        // Drawn only for numbered proposals, before the co-signers.
        let is_key = p.number.is_some() && self.rng.gen_bool(0.03);
        let last = p.events.last().map(|e| e.0).unwrap_or(p.created_on);
        self.row(
            PROPOSALS,
            vec![
                p.id.into(),
                c.id.into(),
                p.session.into(),
                p.number.into(),
                if p.as_group { "group" } else { "member" }.into(),
                p.lead.into(),
                p.as_group.then_some(p.group).into(),
                p.title.clone().into(),
                p.body.clone().into(),
                p.category.into(),
                p.status.into(),
                p.submitted.into(),
                p.reviewed.into(),
                p.reason.clone().into(),
                p.merged_into.into(),
                p.assigned.into(),
                p.due.into(),
                1i64.into(),
                p.answered.into(),
                p.answer.clone().into(),
                p.class.into(),
                p.closed.into(),
                is_key.into(),
                0i64.into(),
                p.user.into(),
                at(p.created_on, 0).into(),
                at(last, 60).into(),
                (p.events.len() as i64).into(),
            ],
        )
        .await?;
        self.proposal_cosigners(p, everyone).await?;
        self.proposal_handlers(p).await?;
        if let Some((r, on)) = p.rating {
            let row = self.ids.take("proposal_ratings");
            self.row(
                RATINGS,
                vec![
                    row.into(),
                    p.id.into(),
                    p.lead.into(),
                    1i64.into(),
                    r.into(),
                    Val::Null,
                    on.into(),
                    p.user.into(),
                ],
            )
            .await?;
        }
        self.proposal_events(p).await?;
        if let Some(on) = p.submitted {
            self.timeline(
                p.lead,
                on,
                "proposal_submitted",
                &p.title,
                ("proposal", p.id),
                Some(p.user),
            )
            .await?;
        }
        Ok(())
    }

    /// Co-signers from the same committee, and whether they accepted.
    async fn proposal_cosigners(
        &mut self,
        p: &ProposalRecord,
        everyone: &[(i64, i64)],
    ) -> Result<(), sqlx::Error> {
        let mut cosigners: Vec<i64> = Vec::new();
        for _ in 0..self.rng.gen_range(0..=3) {
            let (m, _) = *everyone.choose(&mut self.rng).unwrap_or(&(p.lead, p.group));
            if m != p.lead && !cosigners.contains(&m) {
                cosigners.push(m);
            }
        }
        for m in &cosigners {
            let accepted = self.rng.gen_bool(0.9);
            let row = self.ids.take("proposal_cosigners");
            let responded = (p.stage >= 1).then(|| at(days(p.created_on, 1), 0));
            self.row(
                COSIGNERS,
                vec![
                    row.into(),
                    p.id.into(),
                    (*m).into(),
                    if responded.is_none() {
                        "invited"
                    } else if accepted {
                        "accepted"
                    } else {
                        "declined"
                    }
                    .into(),
                    at(p.created_on, 10).into(),
                    responded.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// The departments handling the proposal; a co-handler's view once answered.
    async fn proposal_handlers(&mut self, p: &ProposalRecord) -> Result<(), sqlx::Error> {
        for (dept, role) in &p.handlers {
            let row = self.ids.take("proposal_handlers");
            let view =
                (*role == "co" && p.answered.is_some()).then(|| "同意主办单位意见".to_string());
            let view_on = view.as_ref().and_then(|_| p.answered.map(|a| days(a, -5)));
            self.row(
                HANDLERS,
                vec![
                    row.into(),
                    p.id.into(),
                    (*dept).into(),
                    (*role).into(),
                    view.into(),
                    view_on.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// The proposal's event rows.
    async fn proposal_events(&mut self, p: &ProposalRecord) -> Result<(), sqlx::Error> {
        for (k, (on, action, from, to, dept, note, detail, (user_id, who))) in
            p.events.iter().enumerate()
        {
            let row = self.ids.take("proposal_events");
            self.row(
                PROPOSAL_EVENTS,
                vec![
                    row.into(),
                    p.id.into(),
                    at(*on, 30 + k as i64).into(),
                    (*on).into(),
                    (*action).into(),
                    (*from).into(),
                    (*to).into(),
                    (*dept).into(),
                    note.clone().into(),
                    detail.clone().into(),
                    (*user_id).into(),
                    who.clone().into(),
                ],
            )
            .await?;
        }
        Ok(())
    }
}

/// The stems of the districts' key projects' names.
const PROJECT_NAMES: &[&str] = &[
    "万达广场",
    "城市综合体",
    "产业园区",
    "污水处理厂改造",
    "棚户区改造",
    "地铁站点配套",
    "体育中心",
    "人民医院新院区",
    "高新技术孵化园",
    "老旧小区提升",
    "城中村改造",
];

/// How each year's projects move: one update a quarter (the last in
/// mid-December), each invested share of the year's target to date.
const QUARTER_UPDATES: [(u32, u32, &str); 4] = [
    (3, 31, "一季度进展"),
    (6, 30, "二季度进展"),
    (9, 30, "三季度进展"),
    (12, 20, "年度进展"),
];

impl Gen<'_> {
    /// The years that get plans, points rules and projects: the last two of
    /// the history (one at the tiny scale).
    fn glance_years(&self) -> std::ops::RangeInclusive<i32> {
        self.sizes.first_year.max(2024)..=last_day().year()
    }

    /// The year at a glance: every committee's and district's plan (the
    /// built-in template copied to each year), points rules of their own
    /// for every other committee, each district's key projects with their
    /// quarterly updates, and the reminders of the cases left overdue.
    async fn year_at_a_glance(
        &mut self,
        committees: &[Committee],
        districts: &[District],
    ) -> Result<(), sqlx::Error> {
        let template = crate::domain::plans::template_2012();
        for year in self.glance_years() {
            let plan = crate::domain::plans::copy_to_year(&template, year);
            let orgs: Vec<i64> = committees
                .iter()
                .map(|c| c.id)
                .chain(districts.iter().map(|d| d.org_id))
                .collect();
            for org in orgs {
                self.plan(org, &plan).await?;
            }
            for (i, c) in committees.iter().enumerate() {
                if i % 2 == 0 {
                    self.points_rules(c.id, year, i).await?;
                }
            }
            for d in districts {
                self.projects(d, year).await?;
            }
        }
        self.reminders().await
    }

    async fn plan(
        &mut self,
        org: i64,
        plan: &crate::domain::plans::Plan,
    ) -> Result<(), sqlx::Error> {
        let id = self.ids.take("plans");
        let created = at(
            NaiveDate::from_ymd_opt(plan.year, 1, 10).unwrap_or_default(),
            0,
        );
        self.row(
            PLANS,
            vec![
                id.into(),
                org.into(),
                i64::from(plan.year).into(),
                plan.title.clone().into(),
                Val::Null,
                created.into(),
                created.into(),
                1i64.into(),
            ],
        )
        .await?;
        for (position, item) in plan.items.iter().enumerate() {
            let item_id = self.ids.take("plan_items");
            let (scope, period, condition) = match &item.rule {
                Some(r) => (
                    Val::from(r.scope.as_str()),
                    Val::from(r.period.as_str()),
                    Val::from(
                        serde_json::to_string(&r.condition)
                            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
                    ),
                ),
                None => (Val::Null, Val::Null, Val::Null),
            };
            self.row(
                PLAN_ITEMS,
                vec![
                    item_id.into(),
                    id.into(),
                    (position as i64 + 1).into(),
                    item.text.clone().into(),
                    scope,
                    period,
                    condition,
                    created.into(),
                    created.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// A committee's own points rules: the documented default with its base
    /// moved by up to 2 points, so that committees differ.
    async fn points_rules(&mut self, org: i64, year: i32, i: usize) -> Result<(), sqlx::Error> {
        let mut rules = crate::domain::points::PointsRules::standard(year);
        rules.base += 10 * (i as i64 % 3);
        let id = self.ids.take("points_rules");
        let created = at(NaiveDate::from_ymd_opt(year, 1, 15).unwrap_or_default(), 0);
        let json = serde_json::to_string(&rules).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        self.row(
            POINTS_RULES,
            vec![
                id.into(),
                org.into(),
                i64::from(year).into(),
                json.into(),
                Val::Null,
                created.into(),
                created.into(),
                1i64.into(),
            ],
        )
        .await
    }

    /// A district's projects of a year, as the seed's: 7 key and 4 self-set,
    /// each with its quarterly updates; urban-village ones with households.
    async fn projects(&mut self, d: &District, year: i32) -> Result<(), sqlx::Error> {
        const STATUSES: &[&str] = &["under_construction", "continuing", "preparing", "completed"];
        let created = at(NaiveDate::from_ymd_opt(year, 1, 20).unwrap_or_default(), 0);
        for (k, stem) in PROJECT_NAMES.iter().enumerate() {
            let id = self.ids.take("projects");
            let kind = if k < 7 { "key" } else { "self_set" };
            let status = STATUSES[self.rng.gen_range(0..STATUSES.len())];
            // 元: totals of 1–50 亿, a year's target a fifth to a half of it.
            let total: i64 = self.rng.gen_range(1..=50) * 100_000_000;
            let target: i64 = total / self.rng.gen_range(2..=5);
            let households: Option<i64> =
                stem.contains("改造").then(|| self.rng.gen_range(150..=600));
            self.row(
                PROJECTS,
                vec![
                    id.into(),
                    d.org_id.into(),
                    i64::from(year).into(),
                    format!("{}{stem}", d.place).into(),
                    kind.into(),
                    status.into(),
                    total.into(),
                    target.into(),
                    households.into(),
                    "".into(),
                    Val::Null,
                    created.into(),
                    created.into(),
                    1i64.into(),
                ],
            )
            .await?;
            // By the year's end 60%–130% of the target; households paid
            // before they are demolished.
            let reach = self.rng.gen_range(60..=130);
            let mut last: (i64, i64, i64) = (0, 0, 0);
            for (q, (month, day, note)) in QUARTER_UPDATES.iter().enumerate() {
                let on = NaiveDate::from_ymd_opt(year, *month, *day).unwrap_or_default();
                if on > last_day() {
                    break;
                }
                let share = reach * (q as i64 + 1) / 4;
                let invested = (target / 100 * share).max(last.0);
                let (compensated, demolished) = match households {
                    Some(h) => {
                        let paid = (h * (q as i64 + 1) * self.rng.gen_range(18..=25) / 100).min(h);
                        let paid = paid.max(last.1);
                        let down = (paid * self.rng.gen_range(70..=95) / 100)
                            .max(last.2)
                            .min(paid);
                        (Some(paid), Some(down))
                    }
                    None => (None, None),
                };
                last = (invested, compensated.unwrap_or(0), demolished.unwrap_or(0));
                let update = self.ids.take("project_updates");
                self.row(
                    PROJECT_UPDATES,
                    vec![
                        update.into(),
                        id.into(),
                        on.into(),
                        invested.into(),
                        compensated.into(),
                        demolished.into(),
                        (*note).into(),
                        Val::Null,
                        Val::Null,
                        at(on, 90).into(),
                    ],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The reminders a sweep on the history's last day leaves: each case
    /// still with a department past its due date, to the department's
    /// handler and to the committee's staff; about half of them read.
    async fn reminders(&mut self) -> Result<(), sqlx::Error> {
        let end = last_day();
        let open = std::mem::take(&mut self.open_cases);
        for (case, title, due, dept, staff) in open {
            if due >= end {
                continue;
            }
            use crate::domain::notifications::ReminderKind;
            let mut recipients = vec![(staff, ReminderKind::StaffCaseOverdue)];
            if let Some((user, _)) = self.department_users.get(&dept) {
                recipients.push((*user, ReminderKind::CaseOverdue));
            }
            for (user, kind) in recipients {
                if user == 0 {
                    continue;
                }
                let id = self.ids.take("notifications");
                let params = serde_json::json!({"title": title, "due_on": due.to_string()});
                let read = self.rng.gen_bool(0.5).then(|| at(end, 600));
                self.row(
                    NOTIFICATIONS,
                    vec![
                        id.into(),
                        user.into(),
                        kind.as_str().into(),
                        kind.record_kind().as_str().into(),
                        case.into(),
                        due.into(),
                        kind.text_key().into(),
                        params.to_string().into(),
                        at(end, 480).into(),
                        read.into(),
                    ],
                )
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse_and_print() {
        for s in [Scale::Tiny, Scale::District, Scale::City, Scale::Province] {
            assert_eq!(Scale::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scale::parse("country"), None);
    }

    #[test]
    fn province_sizes_meet_the_targets() {
        let s = Scale::Province.sizes();
        let committees = s.cities * s.districts * s.subdistricts;
        assert!(committees * s.groups * s.members_per_group >= 30_000);
        let departments = s.province_departments
            + s.cities * (s.city_departments + s.districts * s.district_departments);
        assert!(departments >= 3_000, "{departments}");
        assert_eq!(last_day().year() - s.first_year + 1, 5);
    }

    #[test]
    fn working_days_skip_weekends() {
        let friday = NaiveDate::from_ymd_opt(2025, 1, 3).unwrap();
        assert_eq!(
            add_working_days(friday, 1),
            NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()
        );
        assert_eq!(
            weekday_from(NaiveDate::from_ymd_opt(2025, 1, 4).unwrap()),
            NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()
        );
    }
}
