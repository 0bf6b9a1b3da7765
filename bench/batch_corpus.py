"""Nineteen speeches for bench/batch.py, made deterministically from the themes and sentence
patterns below (written for this benchmark): a title, a greeting, numbered sections whose
sentences are drawn from the theme's words, a closing; 300 to 3,000 characters each, no sentence
said twice in the whole set (a shared take would flatter the batch, whose documents share one take
cache).

    uv run python bench/batch_corpus.py OUTPUT_FOLDER     # writes the nineteen .txt files
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

LENGTHS = (300, 340, 380, 420, 470, 520, 580, 640, 700, 780, 860, 950, 1050, 1200, 1400, 1700,
           2100, 2400, 2750)  # fmt: skip
SECTIONS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Theme:
    name: str  # the file's name
    title: str
    greeting: str
    subjects: tuple[str, ...]  # what the speech is about
    deeds: tuple[str, ...]  # what is to be done
    closing: str


THEMES = (
    Theme(
        "school-opening",
        "新学期开学典礼讲话",
        "老师们、同学们：大家早上好！",
        ("课堂学习", "阅读习惯", "体育锻炼", "班级建设", "实验课程", "社团活动", "作业管理"),
        ("制定学习计划", "养成良好习惯", "珍惜每一分钟", "尊敬师长", "团结同学", "坚持锻炼"),
        "祝同学们在新的学期里学有所成，天天进步。",
    ),
    Theme(
        "graduation",
        "毕业典礼致辞",
        "亲爱的毕业生们，各位家长，各位老师：",
        ("求学生涯", "师生情谊", "实习经历", "毕业论文", "职业选择", "校友网络", "终身学习"),
        ("保持好奇心", "脚踏实地", "勇于承担责任", "不忘初心", "回报社会", "常回母校看看"),
        "愿你们前程似锦，一路繁花。",
    ),
    Theme(
        "sports-meet",
        "秋季运动会开幕式讲话",
        "各位裁判员、运动员，同学们：",
        ("田径比赛", "接力项目", "团体操表演", "跳远跳高", "拔河比赛", "安全保障", "后勤服务"),
        ("赛出风格", "遵守规则", "服从裁判", "互相鼓励", "注意安全", "发扬体育精神"),
        "预祝本届运动会取得圆满成功。",
    ),
    Theme(
        "work-safety",
        "安全生产工作会议讲话",
        "同志们：",
        ("隐患排查", "特种设备", "消防通道", "危险化学品", "用电安全", "应急预案", "岗位培训"),
        (
            "压实主体责任",
            "落实整改措施",
            "加强日常巡查",
            "严格持证上岗",
            "开展应急演练",
            "做好值班值守",
        ),
        "让我们共同守住安全生产这条底线。",
    ),
    Theme(
        "environment",
        "生态环境保护动员大会讲话",
        "各位领导，同志们：",
        ("河道治理", "垃圾分类", "大气污染防治", "植树造林", "农村污水", "噪声管理", "节能减排"),
        (
            "加大执法力度",
            "推进源头治理",
            "发动群众参与",
            "完善考核办法",
            "引入社会资本",
            "公开治理进展",
        ),
        "为子孙后代留下青山绿水。",
    ),
    Theme(
        "new-year",
        "新年贺词",
        "各位同事，各位朋友：",
        ("过去一年", "产品研发", "客户服务", "团队建设", "市场开拓", "员工成长", "企业文化"),
        ("迎难而上", "开拓创新", "精益求精", "携手并进", "珍惜机遇", "保持热情"),
        "祝大家新年快乐，万事如意，阖家幸福。",
    ),
    Theme(
        "volunteers",
        "志愿服务表彰会讲话",
        "各位志愿者朋友们：",
        ("社区服务", "助老助残", "环保宣传", "大型赛会", "应急救援", "文明劝导", "关爱儿童"),
        (
            "传递温暖",
            "弘扬奉献精神",
            "完善激励机制",
            "扩大队伍规模",
            "提升服务能力",
            "记录服务时长",
        ),
        "向所有默默奉献的志愿者致以崇高的敬意。",
    ),
    Theme(
        "science-fair",
        "校园科技节开幕致辞",
        "各位评委，各位同学：",
        ("机器人制作", "编程竞赛", "航模展示", "科学实验", "创意设计", "天文观测", "小发明"),
        ("大胆提出问题", "动手实践", "相互切磋", "尊重科学", "敢于失败", "坚持探索"),
        "愿科学的种子在每个人心里生根发芽。",
    ),
    Theme(
        "reading-month",
        "全民读书月启动仪式讲话",
        "各位嘉宾，各位读者朋友：",
        ("公共图书馆", "社区书屋", "亲子阅读", "经典诵读", "数字阅读", "读书分享会", "好书推荐"),
        ("多读书", "读好书", "养成阅读习惯", "营造书香氛围", "推动全民阅读", "分享阅读心得"),
        "让阅读成为我们每个人的生活方式。",
    ),
    Theme(
        "health-talk",
        "健康知识讲座开场讲话",
        "各位居民朋友：",
        ("合理膳食", "适量运动", "规律作息", "心理健康", "慢性病预防", "科学用药", "定期体检"),
        ("少油少盐", "戒烟限酒", "早睡早起", "每天步行", "保持好心情", "听从医生建议"),
        "祝大家身体健康，生活愉快。",
    ),
    Theme(
        "annual-meeting",
        "公司年会总结讲话",
        "各位同事，各位合作伙伴：",
        ("销售业绩", "产品质量", "成本控制", "人才培养", "数字化转型", "海外市场", "服务口碑"),
        ("夯实基础", "提高效率", "优化流程", "加强协作", "拓展渠道", "提升品牌影响力"),
        "新的一年，让我们一起再创佳绩。",
    ),
    Theme(
        "community",
        "社区居民议事会讲话",
        "各位居民代表：",
        ("停车难题", "电梯加装", "楼道照明", "绿化养护", "快递收发", "老年食堂", "物业服务"),
        ("充分听取意见", "公开收支情况", "商量着办事", "分步实施", "接受监督", "反馈结果"),
        "让我们的小区越来越美好。",
    ),
    Theme(
        "flood-control",
        "防汛工作部署会讲话",
        "同志们：",
        ("堤防巡查", "水库调度", "山洪预警", "物资储备", "人员转移", "排涝设施", "信息报送"),
        ("提前部署", "值班到岗", "加密巡查频次", "及时发布预警", "果断转移群众", "严肃追究责任"),
        "确保人民群众生命财产安全。",
    ),
    Theme(
        "countryside",
        "乡村振兴工作座谈会讲话",
        "各位乡亲，各位驻村干部：",
        ("特色产业", "农村电商", "道路建设", "人居环境", "乡村教育", "合作社", "乡村旅游"),
        ("因地制宜", "培育带头人", "引进技术", "拓宽销路", "壮大集体经济", "留住年轻人"),
        "让乡亲们的日子越过越红火。",
    ),
    Theme(
        "teachers-day",
        "教师节庆祝大会讲话",
        "各位老师：",
        ("教书育人", "课堂改革", "师德师风", "青年教师", "家校沟通", "教育科研", "班主任工作"),
        ("潜心教学", "关爱每一个学生", "不断学习", "以身作则", "减轻学生负担", "传承优良教风"),
        "向辛勤耕耘的老师们致以节日的问候。",
    ),
    Theme(
        "fire-drill",
        "消防演练总结讲话",
        "各位员工：",
        ("疏散路线", "灭火器使用", "报警程序", "楼层引导员", "集合点名", "烟雾逃生", "消防设施"),
        (
            "熟悉逃生通道",
            "保持通道畅通",
            "定期检查器材",
            "听从统一指挥",
            "不要乘坐电梯",
            "弯腰低姿前进",
        ),
        "安全无小事，防患于未然。",
    ),
    Theme(
        "civilized-city",
        "创建文明城市动员讲话",
        "各位市民朋友：",
        ("交通秩序", "市容环境", "公共场所", "窗口服务", "志愿活动", "诚信建设", "网络文明"),
        ("文明出行", "爱护公物", "排队礼让", "垃圾入桶", "热情待客", "人人参与"),
        "让文明成为这座城市最亮丽的名片。",
    ),
    Theme(
        "farming-tech",
        "农业技术推广会讲话",
        "各位种植户朋友：",
        ("良种选育", "测土配方施肥", "病虫害防治", "节水灌溉", "农机作业", "设施大棚", "秸秆利用"),
        ("科学种田", "按时施肥", "统防统治", "减少农药用量", "用好农机补贴", "参加技术培训"),
        "祝大家今年粮食丰收，收入增加。",
    ),
    Theme(
        "retirement",
        "退休欢送会讲话",
        "各位同事，尊敬的老同志们：",
        ("工作岗位", "技术传承", "团队精神", "青年培养", "单位发展", "难忘时光", "退休生活"),
        ("保重身体", "发挥余热", "常回来看看", "享受生活", "传授经验", "保持联系"),
        "祝老同志们退休生活幸福美满。",
    ),
)
PLACES = ("全区", "各学校", "每个班组", "全市", "各部门", "各村", "每个社区", "整个行业")
PEOPLE = ("同学们", "干部职工", "家长们", "青年员工", "广大群众", "老党员", "志愿者", "新同事")
PATTERNS = (
    "在{subject}方面，{place}要{deed}，今年已经开展了{n}次专项活动。",
    "{people}都很关心{subject}，我们一定要{deed}。",
    "过去{m}个月，{place}围绕{subject}做了大量工作，取得了明显成效。",
    "{subject}是一项长期任务，必须{deed}，不能有丝毫松懈。",
    "我们计划在{year}年底前，把{subject}的覆盖率提高到百分之{pct}。",
    "要把{subject}放在突出位置，{deed}，{deed2}。",
    "有的{people}说，{subject}离自己很远，其实它就在我们身边。",
    "对于{subject}中发现的问题，{place}要逐条梳理，限期解决。",
    "{place}共有{n}名{people}参加了{subject}，大家的热情很高。",
    "下一步，我们要继续{deed}，让{subject}见到更大的实效。",
    "做好{subject}，关键在人，关键在落实，关键在{deed}。",
    "希望{people}积极参与{subject}，主动{deed}。",
    "今年{month}月，{place}还将举办一次{subject}交流活动。",
    "只要我们{deed}，{subject}就一定能够做得更好。",
)


def speech(theme: Theme, length: int, rng: random.Random, said: set[str]) -> str:
    """A speech of about ``length`` characters (never shorter)."""
    lines = [theme.title, "", theme.greeting, ""]
    body = 0
    sections: list[list[str]] = []
    while body < length - len(theme.title) - len(theme.greeting) - len(theme.closing) - 10:
        if not sections or (len(sections[-1]) >= 2 and len(sections) < len(SECTIONS)):
            sections.append([])
        paragraph = "".join(_sentence(theme, rng, said) for _ in range(rng.randint(2, 3)))
        sections[-1].append(paragraph)
        body += len(paragraph)
    for number, paragraphs in zip(SECTIONS, sections, strict=False):
        heading = (
            f"第{number}，关于{theme.subjects[SECTIONS.index(number) % len(theme.subjects)]}。"
        )
        lines += [heading + paragraphs[0], ""]
        lines += [p for paragraph in paragraphs[1:] for p in (paragraph, "")]
    lines += [theme.closing, "", "谢谢大家！", ""]
    return "\n".join(lines)


def _sentence(theme: Theme, rng: random.Random, said: set[str]) -> str:
    while True:
        deed, deed2 = rng.sample(theme.deeds, 2)
        sentence = rng.choice(PATTERNS).format(
            subject=rng.choice(theme.subjects),
            deed=deed,
            deed2=deed2,
            place=rng.choice(PLACES),
            people=rng.choice(PEOPLE),
            n=rng.randint(2, 480),
            m=rng.randint(2, 11),
            year=rng.randint(2024, 2030),
            pct=rng.randint(30, 98),
            month=rng.randint(1, 12),
        )
        if sentence not in said:
            said.add(sentence)
            return sentence


def write_corpus(folder: Path, shortest: bool = False) -> list[Path]:
    """The nineteen speeches as ``NN-theme.txt`` in ``folder`` (``shortest``: each of the least
    length, 300 characters, for a quick run)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(17)
    said: set[str] = set()
    paths = []
    lengths = [LENGTHS[0]] * len(LENGTHS) if shortest else LENGTHS
    for number, (theme, length) in enumerate(zip(THEMES, lengths, strict=True), 1):
        path = folder / f"{number:02d}-{theme.name}.txt"
        path.write_text(speech(theme, length, rng, said), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_corpus(Path(sys.argv[1])):
        print(f"{written}: {len(written.read_text('utf-8'))} characters")
